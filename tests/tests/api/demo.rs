//! The offline demo, with no model key: the café scene's script in the room's language (the
//! opener, answers that follow the learner, a common mistake corrected, goals met one a turn, a
//! report and the meanings of its words), a generic polite tutor in any other room, and the reply
//! marked so the site says once that this is a demo.

use rolechat_tests::{TestApp, TestRequest, events};
use serde_json::{Value, json};

async fn demo_app() -> TestApp {
    TestApp::spawn_with(&[("OPENAI_API_KEY", "")]).await
}

fn post(token: &str, path: &str, body: Value) -> TestRequest {
    TestRequest::post(path).token(token).json(&body)
}

#[tokio::test]
async fn the_cafe_scene_is_a_scripted_lesson_from_opener_to_report() {
    let app = demo_app().await;
    let token = app.sign_up("demo-ko", "demo-ko's password").await;
    let room = app
        .create_room(
            &token,
            &json!({"scenario": "cafe-order", "ui": "ko", "language": "ja-JP", "level": "A1"}),
        )
        .await;
    let messages = format!("/rooms/{room}/messages?ui=ko");

    let opened = app
        .send(post(&token, &messages, json!({})).header("accept", "text/event-stream"))
        .await;
    assert_eq!(opened.status, 200, "{}", opened.text());
    assert_eq!(opened.headers["x-rolechat-tutor"], "demo");
    let streamed = events(&opened.body);
    assert!(
        streamed.iter().filter(|(n, _)| n == "delta").count() > 3,
        "it streams"
    );
    let reply = streamed.iter().find(|(name, _)| name == "reply").unwrap();
    assert_eq!(
        reply.1["content"], "いらっしゃいませ。なにになさいますか？",
        "the script's opener, with no notice in it"
    );

    // The suggestion is the script's next line, with its meaning in the learner's language.
    let suggested = app
        .send(TestRequest::post(&format!("/rooms/{room}/suggestions?count=3&ui=ko")).token(&token))
        .await
        .json();
    assert_eq!(
        suggested["suggestions"],
        json!([{"text": "ラテをください。", "translation": "우유 들어간 커피 한 잔 주세요."}])
    );

    // The common mistake is corrected, in Korean; the goal the line was for is met.
    let first = app
        .send(post(
            &token,
            &messages,
            json!({"content": "ラテがください"}),
        ))
        .await;
    assert_eq!(first.status, 201, "{}", first.text());
    assert_eq!(first.headers["x-rolechat-tutor"], "demo");
    let first = first.json();
    let feedback = &first["user_message"]["feedback"];
    assert_eq!(
        (
            &feedback["checked"],
            &feedback["ok"],
            &feedback["corrected"]
        ),
        (&json!(true), &json!(false), &json!("ラテをください。"))
    );
    assert!(
        feedback["explanation"]
            .as_str()
            .unwrap()
            .contains("を를 써요"),
        "{feedback}"
    );
    assert_eq!(
        first["reply"]["content"],
        "かしこまりました。ほかに何かありますか？"
    );
    let done = |turn: &Value| -> Vec<bool> {
        turn["goals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["done"] == true)
            .collect()
    };
    assert_eq!(done(&first), [true, false, false]);

    // The script's own lines pass; the tutor answers each in turn; the scene completes.
    let second = app
        .send(post(
            &token,
            &messages,
            json!({"content": "いくらですか？"}),
        ))
        .await
        .json();
    assert_eq!(second["user_message"]["feedback"]["ok"], true);
    assert!(
        second["reply"]["content"]
            .as_str()
            .unwrap()
            .starts_with("450円")
    );
    let third = app
        .send(post(&token, &messages, json!({"content": "持ち帰りで"})))
        .await
        .json();
    assert_eq!(
        third["user_message"]["feedback"]["checked"], false,
        "a line not in the script is not judged"
    );
    assert_eq!(done(&third), [true, true, true]);

    // The report keeps the corrected mistake, and offers the script's words with meanings.
    let report = app
        .send(TestRequest::post(&format!("/rooms/{room}/report?ui=ko")).token(&token))
        .await;
    assert_eq!(report.status, 200, "{}", report.text());
    let report = report.json()["report"].clone();
    assert!(report["summary"].as_str().unwrap().contains("데모"));
    assert_eq!(report["mistakes"].as_array().unwrap().len(), 1);
    assert_eq!(report["mistakes"][0]["original"], "ラテがください");
    assert_eq!(report["mistakes"][0]["corrected"], "ラテをください。");
    assert_eq!(report["vocabulary"][0]["text"], "お持ち帰り");
    assert_eq!(report["cefr_estimate"], Value::Null);

    // A word of the script is looked up; any other needs the learner's own meaning.
    let saved = app
        .send(post(
            &token,
            "/vocabulary?ui=ko",
            json!({"text": "お持ち帰り", "language": "ja-JP"}),
        ))
        .await;
    assert_eq!(saved.status, 201, "{}", saved.text());
    assert!(
        saved.json()["meaning"]
            .as_str()
            .unwrap()
            .starts_with("포장")
    );
    let unknown = app
        .send(post(
            &token,
            "/vocabulary?ui=ko",
            json!({"text": "駅", "language": "ja-JP"}),
        ))
        .await;
    assert_eq!(unknown.status, 400, "{}", unknown.text());
    assert!(unknown.json()["error"]["fields"]["meaning"].is_string());
    assert!(app.model.requests().is_empty(), "no model was called");
}

#[tokio::test]
async fn any_other_room_has_a_polite_generic_tutor_and_unchecked_lines_are_not_stored() {
    let app = demo_app().await;
    let token = app.sign_up("demo-en", "demo-en's password").await;
    let room = app
        .create_room(
            &token,
            &json!({"language": "ko-KR", "level": "A1", "situation": "카페에서 커피 주문하기",
                    "my_role": "손님", "gpt_role": "바리스타"}),
        )
        .await;
    let messages = format!("/rooms/{room}/messages");
    let opener = app.send(post(&token, &messages, json!({}))).await.json();
    assert_eq!(
        opener["reply"]["content"],
        "안녕하세요! 무엇을 도와드릴까요?"
    );
    let said = app
        .send(post(
            &token,
            &messages,
            json!({"content": "커피 한 잔 주세요"}),
        ))
        .await
        .json();
    let line = said["user_message"]["id"].as_str().unwrap().to_owned();
    for (ui, words) in [
        ("ko", "예시 문장만 확인해요"),
        ("en", "checks only its own example lines"),
        ("ja", "例文だけを確認します"),
    ] {
        let checked = app
            .send(
                TestRequest::post(&format!("/rooms/{room}/messages/{line}/feedback?ui={ui}"))
                    .token(&token),
            )
            .await;
        assert_eq!(checked.status, 200, "{}", checked.text());
        let feedback = &checked.json()["feedback"];
        assert_eq!(
            (&feedback["checked"], &feedback["ui_language"]),
            (&json!(false), &json!(ui))
        );
        assert!(
            feedback["explanation"].as_str().unwrap().contains(words),
            "{feedback}"
        );
    }
    let opened = app
        .send(TestRequest::get(&format!("/rooms/{room}")).token(&token))
        .await
        .json();
    let stored = opened["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == line.as_str())
        .unwrap()
        .clone();
    assert!(
        stored.get("feedback").is_none_or(Value::is_null),
        "checkable once a model is connected: {stored}"
    );
    let suggestion = app
        .send(TestRequest::post(&format!("/rooms/{room}/suggestions")).token(&token))
        .await
        .json();
    assert_eq!(suggestion["suggestion"], "감사합니다.");
}
