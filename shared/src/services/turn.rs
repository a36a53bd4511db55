//! A turn of the conversation, from its start to its last event, and what the model-calling
//! routes share: the daily limit, and refusals as API errors.
//!
//! A turn is one sequence of [`TurnEvent`]s, whoever reads it: the chat route streams them as
//! server-sent events, or collects them into one JSON reply.

use std::sync::Arc;

use futures_util::StreamExt;
use time::OffsetDateTime;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::AppState;
use crate::config::Config;
use crate::domain::language::UiLanguage;
use crate::domain::learner::seconds_of_turn;
use crate::domain::room::{Feedback, Goal, Message, Role};
use crate::error::ApiError;
use crate::services::learning::{self, Learner, Memory};
use crate::services::prompt::{setup, window};
use crate::services::{feedback, goals};
use crate::store::{Activity, MessageRecord, Refusal, RoomRecord, TurnStart, Usage};
use crate::tutor::{Finish, Piece, PromptMessage, TutorError, TutorRequest};

/// What a turn tells the learner, in this order: their stored line (if they wrote one), the
/// reply's text piece by piece, the stored reply, then the feedback on their line and the room's
/// goals where there are any; or, instead of the reply, why it failed.
#[derive(Debug)]
pub enum TurnEvent {
    UserMessage(Message),
    Delta(String),
    Reply(Message),
    Feedback {
        message_id: String,
        feedback: Feedback,
    },
    Goals(Vec<Goal>),
    Failed(ApiError),
}

/// A turn that has begun (its start is stored): what it asks the model, and the room and
/// conversation it is part of.
pub struct Turn {
    start: TurnStart,
    request: TutorRequest,
    room: RoomRecord,
    /// The messages the model sees, the learner's new one included.
    history: Vec<MessageRecord>,
    /// Automatic feedback on the learner's line.
    feedback: Option<Checking>,
    learner: Arc<Learner>,
}

/// The automatic feedback of a turn: running beside the reply, or waiting for it (on the turn's
/// learner line, explained in this language).
enum Checking {
    Beside(JoinHandle<Result<Feedback, ApiError>>),
    After(UiLanguage),
}

impl Turn {
    /// The turn `start` began, asking `request`. Where the room has automatic feedback, the
    /// learner's line is judged beside the reply, or after it with a model server that answers
    /// one request at a time.
    pub fn begun(
        state: &Arc<AppState>,
        start: TurnStart,
        request: TutorRequest,
        room: RoomRecord,
        history: Vec<MessageRecord>,
        explain_in: UiLanguage,
        learner: Learner,
    ) -> Turn {
        let learner = Arc::new(learner);
        let feedback = match (&start.user_message, room.auto_feedback) {
            (Some(_), true) if state.tutor.one_at_a_time() => Some(Checking::After(explain_in)),
            (Some(line), true) => {
                let (state, owner, room, line, learner) = (
                    state.clone(),
                    start.owner.clone(),
                    room.clone(),
                    line.clone(),
                    learner.clone(),
                );
                let before = tutor_line_before(&history).map(str::to_owned);
                Some(Checking::Beside(tokio::spawn(async move {
                    let before = before.as_deref();
                    feedback::check_line(&state, &owner, &room, before, &line, explain_in, &learner)
                        .await
                })))
            }
            _ => None,
        };
        Turn {
            start,
            request,
            room,
            history,
            feedback,
            learner,
        }
    }

    /// Runs the turn to its end in a task of its own, so it is finished (or abandoned) even if
    /// the reader goes away; its events arrive on the receiver.
    pub fn run(mut self, state: Arc<AppState>) -> mpsc::Receiver<TurnEvent> {
        let (events, receiver) = mpsc::channel::<TurnEvent>(64);
        tokio::spawn(async move {
            let send = |event: TurnEvent| {
                let events = events.clone();
                async move {
                    // A reader that left does not stop the turn.
                    let _ = events.send(event).await;
                }
            };
            if let Some(message) = &self.start.user_message {
                send(TurnEvent::UserMessage(message.public())).await;
            }
            let outcome = async {
                let mut pieces = state.tutor.stream(&self.request).await?;
                let mut text = String::new();
                let mut finish = Finish::default();
                while let Some(piece) = pieces.next().await {
                    match piece? {
                        Piece::Text(piece) => {
                            text.push_str(&piece);
                            send(TurnEvent::Delta(piece)).await;
                        }
                        Piece::Finished(finished) => finish = finished,
                    }
                }
                Ok::<_, TutorError>((text, finish))
            }
            .await;
            let failure = match outcome {
                Ok((text, finish)) if !text.trim().is_empty() => {
                    let reply = self.reply_record(text.trim(), finish, state.clock.now());
                    match state.store.finish_turn(&self.start, &reply).await {
                        Ok(true) => {
                            send(TurnEvent::Reply(reply.public())).await;
                            self.count_line(&state).await;
                            if let Some(feedback) = self.feedback(&state).await
                                && let Some(line) = &self.start.user_message
                            {
                                let message_id = line.id.clone();
                                send(TurnEvent::Feedback {
                                    message_id,
                                    feedback,
                                })
                                .await;
                            }
                            if let Some(goals) = self.goals(&state, &reply).await {
                                send(TurnEvent::Goals(goals)).await;
                            }
                            return;
                        }
                        Ok(false) => ApiError::NotFound,
                        Err(error) => ApiError::from(error),
                    }
                }
                Ok(_) => ApiError::from(TutorError::Upstream("the model wrote nothing".into())),
                Err(error) => ApiError::from(error),
            };
            state
                .store
                .abandon_turn(&self.start, (&failure).into())
                .await;
            send(TurnEvent::Failed(failure)).await;
        });
        receiver
    }

    fn reply_record(&self, text: &str, finish: Finish, at: OffsetDateTime) -> MessageRecord {
        let id = ulid::Ulid::new().to_string();
        let mut reply = MessageRecord::new(
            self.start.owner.key(),
            &self.start.room_id,
            &id,
            Role::Assistant,
            text,
            &crate::domain::time::rfc3339(at),
        );
        reply.cut = finish.cut;
        reply.usage = finish.usage;
        reply
    }

    /// The automatic feedback, once it is done: `None` when the room has none or it failed (it
    /// can still be asked for with the feedback route).
    async fn feedback(&mut self, state: &AppState) -> Option<Feedback> {
        let outcome = match self.feedback.take()? {
            Checking::Beside(running) => running.await,
            Checking::After(explain_in) => {
                let line = self.start.user_message.as_ref()?;
                let before = tutor_line_before(&self.history);
                let room = &self.room;
                let learner = &self.learner;
                let owner = &self.start.owner;
                Ok(
                    feedback::check_line(state, owner, room, before, line, explain_in, learner)
                        .await,
                )
            }
        };
        match outcome {
            Ok(Ok(feedback)) => Some(feedback),
            Ok(Err(error)) => {
                tracing::warn!(
                    code = error.code(),
                    "automatic feedback failed; the turn stands"
                );
                None
            }
            Err(error) => {
                tracing::warn!(%error, "automatic feedback stopped; the turn stands");
                None
            }
        }
    }

    /// The room's goals after the reply: judged, and stored when some are newly met. `None`
    /// when the room has none, or the check failed. Before the learner has said anything (the
    /// opening line) nothing can be met, so nothing is asked.
    async fn goals(&self, state: &AppState, reply: &MessageRecord) -> Option<Vec<Goal>> {
        if self.room.goals.is_empty() {
            return None;
        }
        if !goals::worth_checking(&self.room, &self.history) {
            return Some(self.room.goals.clone());
        }
        let mut conversation = self.history.clone();
        conversation.push(reply.clone());
        let with = goals::GoalCheck {
            tutor: &state.tutor,
            store: &state.store,
            now: state.clock.now(),
            window: state.config.tutor.history_messages,
        };
        let goals = goals::check(with, &self.start.owner, &self.room, &conversation).await?;
        let met = |goals: &[Goal]| goals.iter().filter(|goal| goal.done).count() as u64;
        let (before, after) = (met(&self.room.goals), met(&goals));
        if after > before {
            let finished = after == goals.len() as u64;
            let activity = Activity {
                goals_met: after - before,
                scenes_finished: u64::from(finished),
                ..Activity::default()
            };
            learning::record(state, &self.start.owner, &self.learner.zone, activity).await;
        }
        Some(goals)
    }

    /// Counts the learner's line (none for an opening line) in their day: one turn, the time
    /// since the conversation's previous line, and the catalogue scene played.
    async fn count_line(&self, state: &AppState) {
        let Some(line) = &self.start.user_message else {
            return;
        };
        let previous = self
            .history
            .iter()
            .rev()
            .find(|message| message.id != line.id)
            .and_then(|message| {
                time::OffsetDateTime::parse(
                    &message.created_at,
                    &time::format_description::well_known::Rfc3339,
                )
                .ok()
            });
        let activity = Activity {
            turns: 1,
            seconds: seconds_of_turn(previous, state.clock.now()),
            scenario: self.room.scenario.clone(),
            ..Activity::default()
        };
        let (owner, zone) = (&self.start.owner, &self.learner.zone);
        let studied = self.learner.memory.studied_today;
        learning::record_knowing(state, owner, zone, activity, studied).await;
    }
}

/// The tutor's line the learner's new one (the history's last) answers.
fn tutor_line_before(history: &[MessageRecord]) -> Option<&str> {
    match history {
        [.., before, _line] if before.role == Role::Assistant => Some(&before.content),
        _ => None,
    }
}

/// Today's usage counter of a user, under the configured daily limit.
pub fn usage_today(config: &Config, now: OffsetDateTime) -> Usage {
    Usage {
        day: crate::domain::time::day(now),
        limit: config.daily_turns,
        calls: 1,
        expires_at: (crate::domain::time::next_midnight(now) + time::Duration::DAY)
            .unix_timestamp(),
    }
}

pub fn refusal_error(refusal: Refusal, now: OffsetDateTime) -> ApiError {
    match refusal {
        Refusal::LoggedOut => ApiError::Unauthorized,
        Refusal::RoomGone => ApiError::NotFound,
        Refusal::Busy | Refusal::Repeated => {
            ApiError::Conflict("A turn is already being generated in this room.")
        }
        // A running turn takes seconds: worth trying again soon.
        Refusal::TooManyTurns => ApiError::RateLimited {
            retry_after_secs: 5,
        },
        Refusal::QuotaExhausted => {
            let wait = (crate::domain::time::next_midnight(now) - now)
                .whole_seconds()
                .max(1) as u64;
            ApiError::RateLimited {
                retry_after_secs: wait,
            }
        }
    }
}

/// The prompt of the tutor's next turn: the setup, then the latest `size` messages. With no
/// message yet, the tutor opens the conversation.
pub fn prompt(
    room: &RoomRecord,
    history: &[MessageRecord],
    size: usize,
    memory: &Memory,
) -> Vec<PromptMessage> {
    let mut prompt = vec![PromptMessage::system(setup(room, history, memory))];
    let recent = window(history, size);
    // The conversation starts with a user turn: the tutor speaks first in every room, and many
    // chat templates (Claude on Bedrock, Mistral's and Gemma's under vLLM) refuse a transcript
    // whose first turn after the system message is the assistant's.
    if recent
        .first()
        .is_none_or(|first| first.role == Role::Assistant)
    {
        prompt.push(PromptMessage::user(format!(
            "(The scene begins. Say your first line to the learner, in character, in {}.)",
            room.language.english_name()
        )));
    }
    for message in recent {
        let role = match message.role {
            Role::User => "user",
            Role::Assistant => "assistant",
        };
        match prompt.last_mut() {
            // Two lines of one speaker in a row (a reply that failed) are one turn: strict
            // templates want the roles to alternate.
            Some(last) if last.role == role => {
                last.content.push('\n');
                last.content.push_str(&message.content);
            }
            _ => prompt.push(PromptMessage {
                role,
                content: message.content.clone(),
            }),
        }
    }
    prompt
}
