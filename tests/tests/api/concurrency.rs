//! Many learners at once: parallel turns in many rooms, turns racing in one room, rooms deleted
//! while their turns stream. Afterwards every room's conversation alternates learner and tutor,
//! and no message is left without its room.

use std::collections::BTreeSet;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use futures_util::future::join_all;
use rolechat_tests::fake_openai::Behaviour;
use rolechat_tests::{TestApp, TestRequest};
use serde_json::{Value, json};

const LEARNERS: usize = 12;
const TURNS: usize = 4;

fn setup() -> Value {
    json!({"language": "en-US", "level": "intermediate", "situation": "A busy train station",
           "my_role": "a traveller", "gpt_role": "a ticket clerk"})
}

fn turn(token: &str, room: &str, content: &str) -> TestRequest {
    TestRequest::post(&format!("/rooms/{room}/messages"))
        .token(token)
        .json(&json!({"content": content}))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_turns_races_and_deletes_leave_every_room_consistent() {
    let app = TestApp::spawn_with(&[("ROLECHAT_DAILY_TURNS", "1000")]).await;
    app.model.answer_by_default(Behaviour::Reply {
        text: "Platform nine, the next train leaves in ten minutes.".into(),
        first_delay: Duration::from_millis(5),
        delay: Duration::from_millis(2),
    });
    let mut learners = Vec::new();
    for n in 0..LEARNERS {
        let token = app.sign_up(&format!("rider{n}"), "rider's password").await;
        let kept = app.create_room(&token, &setup()).await;
        let doomed = app.create_room(&token, &setup()).await;
        learners.push((token, kept, doomed));
    }

    // Every learner at once: turns in their own room, two turns racing in it each round, and a
    // second room deleted while a streamed turn is under way in it.
    let statuses = join_all(learners.iter().map(|(token, kept, doomed)| {
        let app = &app;
        async move {
            let mut statuses = Vec::new();
            for n in 0..TURNS {
                let (a, b) = tokio::join!(
                    app.send(turn(token, kept, &format!("Turn {n}, first."))),
                    app.send(turn(token, kept, &format!("Turn {n}, second."))),
                );
                statuses.push(a.status);
                statuses.push(b.status);
            }
            let streamed =
                turn(token, doomed, "Is this seat free?").header("accept", "text/event-stream");
            let (_, deleted) = tokio::join!(app.send(streamed), async {
                tokio::time::sleep(Duration::from_millis(8)).await;
                app.send(TestRequest::delete(&format!("/rooms/{doomed}")).token(token))
                    .await
            });
            statuses.push(deleted.status);
            statuses
        }
    }))
    .await;

    let mut won = 0;
    for statuses in &statuses {
        let (races, delete) = statuses.split_at(statuses.len() - 1);
        assert_eq!(delete, [204]);
        for pair in races.chunks(2) {
            // Of two racing turns at least one is answered; the other may be refused as a conflict.
            assert!(pair.contains(&201), "{pair:?}");
            assert!(pair.iter().all(|s| *s == 201 || *s == 409), "{pair:?}");
            won += pair.iter().filter(|s| **s == 201).count();
        }
    }
    assert!(won >= LEARNERS * TURNS);

    // Every kept room alternates learner and tutor, one reply per answered turn.
    for (token, kept, doomed) in &learners {
        let opened = app
            .send(TestRequest::get(&format!("/rooms/{kept}")).token(token))
            .await
            .json();
        let roles: Vec<&str> = opened["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["role"].as_str().unwrap())
            .collect();
        assert!(roles.len() >= 2 * TURNS, "{roles:?}");
        for (i, role) in roles.iter().enumerate() {
            assert_eq!(
                *role,
                if i % 2 == 0 { "user" } else { "assistant" },
                "{roles:?}"
            );
        }
        let gone = app
            .send(TestRequest::get(&format!("/rooms/{doomed}")).token(token))
            .await;
        assert_eq!(gone.status, 404);
    }

    // Once the deletion worker has run, no message is left without its room, in the whole table.
    app.drain_deletions(20).await;
    let mut rooms = BTreeSet::new();
    let mut message_rooms = BTreeSet::new();
    let mut start: Option<std::collections::HashMap<String, AttributeValue>> = None;
    loop {
        let page = app
            .dynamodb
            .scan()
            .table_name(&app.tables.rooms)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .unwrap();
        for item in page.items() {
            let owner = item["pk"].as_s().unwrap().clone();
            let sk = item["sk"].as_s().unwrap();
            let room_id = sk.split('#').next().unwrap().to_owned();
            if sk.ends_with("#room") {
                rooms.insert((owner, room_id));
            } else {
                message_rooms.insert((owner, room_id));
            }
        }
        match page.last_evaluated_key() {
            Some(key) => start = Some(key.clone()),
            None => break,
        }
    }
    let orphans: Vec<_> = message_rooms.difference(&rooms).collect();
    assert!(orphans.is_empty(), "messages without a room: {orphans:?}");
    assert_eq!(rooms.len(), LEARNERS, "only the kept rooms remain");
}
