//! The mails Rolechat sends, in the learner's interface language: each one a short text and the
//! same as simple HTML (no images, no remote content, nothing to load), with one button.

use lettre::Message;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};

use super::MailError;
use crate::domain::language::UiLanguage;

/// One mail, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    /// What it is (`verify`, `address_changed`, `reset`, `daily`, `weekly`): for logs and tests.
    pub kind: &'static str,
    pub to: String,
    pub language: UiLanguage,
    pub subject: String,
    /// The greeting and the paragraphs, in order.
    pub paragraphs: Vec<String>,
    /// The one thing to do: the button's label and where it leads.
    pub action: Option<(String, String)>,
    /// The small print under the button.
    pub footer: Vec<String>,
    /// The one-click unsubscribe (RFC 8058) address, and the page that offers it to a person.
    pub unsubscribe: Option<Unsubscribe>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsubscribe {
    /// Where a mail client POSTs `List-Unsubscribe=One-Click`.
    pub one_click: String,
    /// The site's page with the same button, for the link in the text.
    pub page: String,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl Letter {
    pub fn text(&self) -> String {
        let mut text = self.paragraphs.join("\n\n");
        if let Some((label, url)) = &self.action {
            text += &format!("\n\n{label}:\n{url}");
        }
        if !self.footer.is_empty() {
            text += &format!("\n\n-- \n{}", self.footer.join("\n"));
        }
        if let Some(unsubscribe) = &self.unsubscribe {
            text += &format!(
                "\n{}: {}",
                words(self.language).unsubscribe,
                unsubscribe.page
            );
        }
        text + "\n"
    }

    pub fn html(&self) -> String {
        let lang = self.language.code();
        let mut body = String::new();
        for paragraph in &self.paragraphs {
            body += &format!("<p style=\"margin:0 0 16px\">{}</p>\n", escape(paragraph));
        }
        if let Some((label, url)) = &self.action {
            body += &format!(
                "<p style=\"margin:24px 0\"><a href=\"{url}\" style=\"background:#1f5f8b;color:#ffffff;\
                 padding:12px 20px;border-radius:6px;text-decoration:none;display:inline-block\">{label}</a></p>\n\
                 <p style=\"margin:0 0 16px;font-size:13px;color:#555555\">{url}</p>\n",
                url = escape(url),
                label = escape(label)
            );
        }
        let mut small = self
            .footer
            .iter()
            .map(|line| escape(line))
            .collect::<Vec<_>>();
        if let Some(unsubscribe) = &self.unsubscribe {
            small.push(format!(
                "<a href=\"{}\" style=\"color:#555555\">{}</a>",
                escape(&unsubscribe.page),
                escape(words(self.language).unsubscribe)
            ));
        }
        format!(
            "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width\"><title>{subject}</title></head>\n\
             <body style=\"margin:0;padding:24px;font-family:system-ui,sans-serif;font-size:16px;\
             line-height:1.5;color:#1a1a1a;background:#ffffff\">\n<main style=\"max-width:560px\">\n\
             {body}<hr style=\"border:none;border-top:1px solid #dddddd;margin:24px 0\">\n\
             <p style=\"font-size:13px;color:#555555\">{small}</p>\n</main>\n</body>\n</html>\n",
            subject = escape(&self.subject),
            small = small.join("<br>\n"),
        )
    }

    /// The message as sent: `multipart/alternative` (text, then HTML), with the one-click
    /// unsubscribe headers on the mails a learner may stop.
    pub fn message(&self, from: &Mailbox) -> Result<Message, MailError> {
        let to: Mailbox = self
            .to
            .parse()
            .map_err(|_| MailError::Refused(format!("`{}` is not an address", self.to)))?;
        let mut builder = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(&self.subject);
        if let Some(unsubscribe) = &self.unsubscribe {
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{}>", unsubscribe.one_click),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".into(),
                ));
        }
        builder
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(self.text()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(self.html()),
                    ),
            )
            .map_err(|error| MailError::Build(error.to_string()))
    }
}

/// The words every mail of one language shares.
struct Words {
    unsubscribe: &'static str,
    not_you: &'static str,
}

fn words(language: UiLanguage) -> Words {
    match language {
        UiLanguage::En => Words {
            unsubscribe: "Stop these emails",
            not_you: "If you did not ask for this, you can ignore this email: nothing changes.",
        },
        UiLanguage::Ko => Words {
            unsubscribe: "이 메일 그만 받기",
            not_you: "요청하지 않으셨다면 이 메일은 무시하셔도 됩니다. 아무것도 바뀌지 않습니다.",
        },
        UiLanguage::Ja => Words {
            unsubscribe: "このメールの配信を停止",
            not_you: "お心当たりがない場合は、このメールを無視してください。何も変更されません。",
        },
    }
}

/// Who the mail is for: the display name, or the username.
fn greeting(language: UiLanguage, name: &str) -> String {
    match language {
        UiLanguage::En => format!("Hello {name},"),
        UiLanguage::Ko => format!("{name}님, 안녕하세요."),
        UiLanguage::Ja => format!("{name}さん、こんにちは。"),
    }
}

/// Asks to confirm a new address, with a link valid for `hours`.
pub fn verify(language: UiLanguage, to: &str, name: &str, url: &str, hours: u64) -> Letter {
    let (subject, body, button) = match language {
        UiLanguage::En => (
            "Confirm your email address for Rolechat".to_owned(),
            format!(
                "Please confirm that this is your address. Rolechat will use it only to help you \
                 back into your account if you forget your password, and for the reminders you \
                 choose. The link works once, for {hours} hours."
            ),
            "Confirm my address",
        ),
        UiLanguage::Ko => (
            "Rolechat 이메일 주소를 확인해 주세요".to_owned(),
            format!(
                "이 주소가 본인의 주소인지 확인해 주세요. Rolechat은 이 주소를 비밀번호를 잊었을 때 \
                 계정을 되찾는 데와, 직접 고른 알림을 보내는 데에만 씁니다. 링크는 {hours}시간 동안 \
                 한 번만 쓸 수 있습니다."
            ),
            "주소 확인하기",
        ),
        UiLanguage::Ja => (
            "Rolechat のメールアドレスを確認してください".to_owned(),
            format!(
                "このアドレスがご自身のものか確認してください。Rolechat はこのアドレスを、\
                 パスワードを忘れたときのアカウント復旧と、ご自身で選んだリマインダーにだけ使います。\
                 リンクは {hours} 時間、一度だけ使えます。"
            ),
            "アドレスを確認する",
        ),
    };
    Letter {
        kind: "verify",
        to: to.to_owned(),
        language,
        subject,
        paragraphs: vec![greeting(language, name), body],
        action: Some((button.into(), url.to_owned())),
        footer: vec![words(language).not_you.into()],
        unsubscribe: None,
    }
}

/// Tells the old address that the account's mail now goes to another (shown masked).
pub fn address_changed(language: UiLanguage, to: &str, name: &str, masked_new: &str) -> Letter {
    let (subject, body, help) = match language {
        UiLanguage::En => (
            "Your Rolechat email address was changed",
            format!(
                "The email address of your Rolechat account is now {masked_new}. Mail about your \
                 account, password resets included, goes there from now on."
            ),
            "If you did not make this change, log in and change your password at once, then \
             set your address again on the account page.",
        ),
        UiLanguage::Ko => (
            "Rolechat 이메일 주소가 바뀌었습니다",
            format!(
                "Rolechat 계정의 이메일 주소가 {masked_new}(으)로 바뀌었습니다. 이제부터 비밀번호 \
                 재설정을 포함한 계정 메일은 그 주소로 갑니다."
            ),
            "직접 바꾸지 않으셨다면 지금 로그인해서 비밀번호를 바꾸고, 계정 페이지에서 주소를 다시 \
             설정해 주세요.",
        ),
        UiLanguage::Ja => (
            "Rolechat のメールアドレスが変更されました",
            format!(
                "Rolechat アカウントのメールアドレスが {masked_new} に変更されました。今後、\
                 パスワードの再設定を含むアカウントのメールはそちらに届きます。"
            ),
            "ご自身で変更していない場合は、すぐにログインしてパスワードを変更し、アカウントページで\
             アドレスを設定し直してください。",
        ),
    };
    Letter {
        kind: "address_changed",
        to: to.to_owned(),
        language,
        subject: subject.into(),
        paragraphs: vec![greeting(language, name), body, help.into()],
        action: None,
        footer: Vec::new(),
        unsubscribe: None,
    }
}

/// A link to set a new password, valid for `minutes`, naming the account it is for.
pub fn reset(
    language: UiLanguage,
    to: &str,
    name: &str,
    username: &str,
    url: &str,
    minutes: u64,
) -> Letter {
    let (subject, body, button) = match language {
        UiLanguage::En => (
            "Set a new password for Rolechat",
            format!(
                "Someone asked to reset the password of your Rolechat account ({username}). The \
                 link below sets a new one; it works once, for {minutes} minutes. Setting it logs \
                 you out everywhere else."
            ),
            "Set a new password",
        ),
        UiLanguage::Ko => (
            "Rolechat 새 비밀번호 설정",
            format!(
                "Rolechat 계정({username})의 비밀번호 재설정이 요청되었습니다. 아래 링크에서 새 \
                 비밀번호를 정할 수 있습니다. 링크는 {minutes}분 동안 한 번만 쓸 수 있고, 새 \
                 비밀번호를 정하면 다른 모든 기기에서 로그아웃됩니다."
            ),
            "새 비밀번호 정하기",
        ),
        UiLanguage::Ja => (
            "Rolechat の新しいパスワードの設定",
            format!(
                "Rolechat アカウント（{username}）のパスワード再設定のリクエストがありました。\
                 下のリンクから新しいパスワードを設定できます。リンクは {minutes} 分間、一度だけ使え、\
                 設定すると他のすべての端末からログアウトします。"
            ),
            "新しいパスワードを設定する",
        ),
    };
    Letter {
        kind: "reset",
        to: to.to_owned(),
        language,
        subject: subject.into(),
        paragraphs: vec![greeting(language, name), body],
        action: Some((button.into(), url.to_owned())),
        footer: vec![words(language).not_you.into()],
        unsubscribe: None,
    }
}

/// What a daily reminder says: the day's goal, the words waiting, the streak at stake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayNudge {
    pub goal_met: bool,
    /// What is left of today's goal, and whether in minutes (else lines).
    pub goal_left: (u64, bool),
    pub due_words: u64,
    pub streak: u64,
}

pub fn daily(
    language: UiLanguage,
    to: &str,
    name: &str,
    nudge: &DayNudge,
    url: &str,
    unsubscribe: Unsubscribe,
) -> Letter {
    let mut paragraphs = vec![greeting(language, name)];
    let (subject, button) = match language {
        UiLanguage::En => {
            if !nudge.goal_met {
                paragraphs.push(format!(
                    "Today's goal is still open: {} to go. One short scene is enough.",
                    match nudge.goal_left {
                        (1, true) => "1 minute".to_owned(),
                        (n, true) => format!("{n} minutes"),
                        (1, false) => "1 line".to_owned(),
                        (n, false) => format!("{n} lines"),
                    }
                ));
            }
            if nudge.due_words > 0 {
                paragraphs.push(format!(
                    "{} of your words are due for review; it takes a couple of minutes.",
                    nudge.due_words
                ));
            }
            if nudge.streak > 0 && !nudge.goal_met {
                paragraphs.push(format!(
                    "Your streak is {} days. A line today keeps it going.",
                    nudge.streak
                ));
            }
            ("Your practice for today", "Open today's practice")
        }
        UiLanguage::Ko => {
            if !nudge.goal_met {
                paragraphs.push(format!(
                    "오늘의 목표까지 {} 남았습니다. 짧은 장면 하나면 충분해요.",
                    match nudge.goal_left {
                        (n, true) => format!("{n}분"),
                        (n, false) => format!("{n}줄"),
                    }
                ));
            }
            if nudge.due_words > 0 {
                paragraphs.push(format!(
                    "복습할 단어가 {}개 있습니다. 2~3분이면 끝나요.",
                    nudge.due_words
                ));
            }
            if nudge.streak > 0 && !nudge.goal_met {
                paragraphs.push(format!(
                    "지금 {}일 연속 학습 중입니다. 오늘 한 줄만 말해도 이어집니다.",
                    nudge.streak
                ));
            }
            ("오늘의 연습", "오늘의 연습 열기")
        }
        UiLanguage::Ja => {
            if !nudge.goal_met {
                paragraphs.push(format!(
                    "今日の目標まであと {} です。短い場面ひとつで十分です。",
                    match nudge.goal_left {
                        (n, true) => format!("{n} 分"),
                        (n, false) => format!("{n} 行"),
                    }
                ));
            }
            if nudge.due_words > 0 {
                paragraphs.push(format!(
                    "復習する単語が {} 個あります。数分で終わります。",
                    nudge.due_words
                ));
            }
            if nudge.streak > 0 && !nudge.goal_met {
                paragraphs.push(format!(
                    "現在 {} 日連続で学習中です。今日ひとこと話せば続きます。",
                    nudge.streak
                ));
            }
            ("今日の練習", "今日の練習を開く")
        }
    };
    Letter {
        kind: "daily",
        to: to.to_owned(),
        language,
        subject: subject.into(),
        paragraphs,
        action: Some((button.into(), url.to_owned())),
        footer: vec![reminder_reason(language)],
        unsubscribe: Some(unsubscribe),
    }
}

/// What a week added up to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeekSummary {
    pub days_studied: u64,
    pub minutes: u64,
    pub lines: u64,
    pub scenes_finished: u64,
    pub words_saved: u64,
    pub streak: u64,
}

pub fn weekly(
    language: UiLanguage,
    to: &str,
    name: &str,
    week: &WeekSummary,
    url: &str,
    unsubscribe: Unsubscribe,
) -> Letter {
    let WeekSummary {
        days_studied,
        minutes,
        lines,
        scenes_finished,
        words_saved,
        streak,
    } = week;
    let (subject, summary, next, button) = match language {
        UiLanguage::En => (
            "Your week on Rolechat",
            format!(
                "This week you practised on {days_studied} of 7 days: {minutes} minutes, \
                 {lines} lines, {scenes_finished} scenes finished and {words_saved} new words \
                 saved. Your streak is {streak} days."
            ),
            if *days_studied == 0 {
                "A new week starts today: one short scene is a good beginning."
            } else {
                "Your progress page shows your mistakes by kind and how your level moves."
            },
            "See my progress",
        ),
        UiLanguage::Ko => (
            "이번 주 Rolechat 학습",
            format!(
                "이번 주에는 7일 중 {days_studied}일 연습했습니다. {minutes}분, {lines}줄, 장면 \
                 {scenes_finished}개 완료, 새 단어 {words_saved}개 저장. 지금 {streak}일 연속 \
                 학습 중입니다."
            ),
            if *days_studied == 0 {
                "오늘부터 새로운 한 주입니다. 짧은 장면 하나로 시작해 보세요."
            } else {
                "진도 페이지에서 실수 유형과 레벨 변화를 볼 수 있습니다."
            },
            "내 진도 보기",
        ),
        UiLanguage::Ja => (
            "今週の Rolechat",
            format!(
                "今週は 7 日中 {days_studied} 日練習しました。{minutes} 分、{lines} 行、場面 \
                 {scenes_finished} 個を完了、新しい単語 {words_saved} 個を保存。現在 {streak} \
                 日連続です。"
            ),
            if *days_studied == 0 {
                "今日から新しい一週間です。短い場面ひとつから始めてみましょう。"
            } else {
                "進捗ページで、間違いの種類とレベルの変化を確認できます。"
            },
            "進捗を見る",
        ),
    };
    Letter {
        kind: "weekly",
        to: to.to_owned(),
        language,
        subject: subject.into(),
        paragraphs: vec![greeting(language, name), summary, next.into()],
        action: Some((button.into(), url.to_owned())),
        footer: vec![reminder_reason(language)],
        unsubscribe: Some(unsubscribe),
    }
}

fn reminder_reason(language: UiLanguage) -> String {
    match language {
        UiLanguage::En => {
            "You get this email because you turned on reminders in Rolechat. You can \
                           change the hour or turn them off on your account page."
                .into()
        }
        UiLanguage::Ko => "Rolechat에서 알림을 켜 두셨기 때문에 이 메일을 받으셨습니다. 계정 \
                           페이지에서 시간을 바꾸거나 알림을 끌 수 있습니다."
            .into(),
        UiLanguage::Ja => {
            "Rolechat でリマインダーをオンにしているため、このメールをお送りしています。\
                           時刻の変更や停止はアカウントページでできます。"
                .into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_letter_is_text_and_html_with_the_unsubscribe_headers() {
        let unsubscribe = Unsubscribe {
            one_click: "https://api.example.com/email/unsubscribe?token=abc".into(),
            page: "https://site.example.com/#/unsubscribe?token=abc".into(),
        };
        let nudge = DayNudge {
            goal_met: false,
            goal_left: (7, false),
            due_words: 3,
            streak: 4,
        };
        let letter = daily(
            UiLanguage::Ko,
            "minsu@example.com",
            "민수 <b>",
            &nudge,
            "https://site.example.com/#/today",
            unsubscribe,
        );
        let html = letter.html();
        assert!(html.contains("민수 &lt;b&gt;"), "{html}");
        assert!(!html.contains("src="), "no remote content");
        let from: Mailbox = "Rolechat <no-reply@example.com>".parse().unwrap();
        let raw = String::from_utf8(letter.message(&from).unwrap().formatted()).unwrap();
        assert!(
            raw.contains("List-Unsubscribe: <https://api.example.com/email/unsubscribe?token=abc>")
        );
        assert!(raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains("text/plain") && raw.contains("text/html"));
    }

    #[test]
    fn only_reminders_can_be_unsubscribed() {
        let letter = reset(
            UiLanguage::En,
            "a@example.com",
            "a",
            "a",
            "https://x.test/r",
            30,
        );
        let from: Mailbox = "r@example.com".parse().unwrap();
        let raw = String::from_utf8(letter.message(&from).unwrap().formatted()).unwrap();
        assert!(!raw.contains("List-Unsubscribe"));
    }
}
