//! `make bench-reminders` (part of `make bench`): what the reminders cost a deployment of
//! `BENCH_LEARNERS` learners (100,000 by default) with reminders on, their hours spread evenly
//! over the day's 24: the run of one hour's slot, measured on the real run over the real SDK
//! client, the embedded DynamoDB and the local mail server, then the same run again (a retry,
//! and what each of a day's 72 runs of the quarters no whole hour falls on costs). Half the
//! learners met today's goal and have no word due (nothing to send them). Prints one table and
//! writes it as JSON (`target/bench/reminders.json`).

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use rolechat::domain::email::{EmailAddress, Reminders, slot};
use rolechat::domain::time::Clock;
use rolechat::store::UserRecord;
use rolechat_tests::TestApp;
use rolechat_tests::mailbox::mail_server;
use serde_json::json;
use time::OffsetDateTime;

/// us-east-1 prices (USD).
const DYNAMODB_PER_READ_UNIT: f64 = 0.125 / 1e6;
const DYNAMODB_PER_WRITE_UNIT: f64 = 0.625 / 1e6;
const SES_PER_MAIL: f64 = 0.10 / 1000.0;
const LAMBDA_ARM_PER_GB_SECOND: f64 = 0.000_013_333_4;
const REMINDERS_MEMORY_GB: f64 = 0.25;
/// SES's sending rate once production access starts: what paces a run in AWS.
const SES_PER_SECOND: f64 = 14.0;

async fn write_all(
    app: &TestApp,
    table: &str,
    items: Vec<std::collections::HashMap<String, AttributeValue>>,
) {
    for chunk in items.chunks(25) {
        let writes: Vec<_> = chunk
            .iter()
            .map(|item| {
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .set_item(Some(item.clone()))
                            .build()
                            .unwrap(),
                    )
                    .build()
            })
            .collect();
        app.dynamodb
            .batch_write_item()
            .request_items(table, writes)
            .send()
            .await
            .expect("a seeding batch");
    }
}

#[tokio::main]
async fn main() {
    let learners: usize = std::env::var("BENCH_LEARNERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let per_hour = learners.div_ceil(24);
    // Five minutes into the next hour.
    let now = OffsetDateTime::now_utc();
    let next_hour =
        now.replace_time(time::Time::from_hms(now.hour(), 5, 0).unwrap()) + time::Duration::HOUR;
    let clock = Clock::shifted(next_hour - now);
    let app = TestApp::spawn_with_clock(
        &[
            ("ROLECHAT_MAIL", mail_server().url.as_str()),
            ("ROLECHAT_API_URL", "http://api.test"),
            ("ROLECHAT_MAIL_PER_SECOND", "1000"),
        ],
        clock,
    )
    .await;
    let at = app.state.clock.now();
    let day = at.date().to_string();
    eprintln!("bench-reminders: seeding {per_hour} learners of this hour ({learners} in all) ...");
    let mut users = Vec::new();
    let mut days = Vec::new();
    for n in 0..per_hour {
        let user = UserRecord {
            pk: format!("bench-{n}"),
            id: format!("Ubench{n:06}"),
            username: format!("bench-{n}"),
            created_at: "2026-12-01T00:00:00Z".into(),
            native_language: rolechat::domain::language::UiLanguage::ALL[n % 3],
            email: Some(EmailAddress::parse(&format!("bench-{n}@bench.example")).unwrap()),
            reminders: Some(Reminders::parse(true, false, at.hour() as i64).unwrap()),
            remind_slot: Some(slot(at)),
            ..UserRecord::default()
        };
        users.push(serde_dynamo::to_item(&user).unwrap());
        if n % 2 == 0 {
            // Today's goal (10 minutes) met: nothing to remind of.
            days.push(
                [
                    ("pk".to_owned(), AttributeValue::S(user.id.clone())),
                    ("sk".to_owned(), AttributeValue::S(format!("day#{day}"))),
                    ("day".to_owned(), AttributeValue::S(day.clone())),
                    ("turns".to_owned(), AttributeValue::N("12".into())),
                    ("seconds".to_owned(), AttributeValue::N("900".into())),
                ]
                .into(),
            );
        }
    }
    write_all(&app, &app.tables.users, users).await;
    write_all(&app, &app.tables.learning, days).await;
    app.store_meter.count_capacity();
    app.round_trips.take();
    app.store_meter.take();

    eprintln!("bench-reminders: one hour's run ...");
    let started = Instant::now();
    let report = rolechat::services::reminders::run(&app.state, Duration::from_secs(3600))
        .await
        .expect("the run");
    let wall = started.elapsed();
    let trips = app.round_trips.take();
    let cost = app.store_meter.take();
    eprintln!("bench-reminders: the same run again (a retry) ...");
    let started = Instant::now();
    let retry = rolechat::services::reminders::run(&app.state, Duration::from_secs(3600))
        .await
        .expect("the retry");
    let retry_wall = started.elapsed();
    let retry_trips = app.round_trips.take();
    let retry_cost = app.store_meter.take();

    let sent = report.daily_sent + report.weekly_sent;
    // A day: 24 runs like the first (one a whole hour), 72 like the retry (the other quarters).
    let per_day = |run: f64, empty: f64| run * 24.0 + empty * 72.0;
    let units_cost = |c: &rolechat_tests::meter::StoreCost| {
        c.read_units * DYNAMODB_PER_READ_UNIT + c.write_units * DYNAMODB_PER_WRITE_UNIT
    };
    let dynamodb_per_day = per_day(units_cost(&cost), units_cost(&retry_cost));
    // In AWS a run is paced by SES: its mails at the sending rate, the rest at the store's pace.
    let run_seconds_in_aws = sent as f64 / SES_PER_SECOND + cost.busy.as_secs_f64();
    let lambda_per_day = per_day(
        run_seconds_in_aws * REMINDERS_MEMORY_GB * LAMBDA_ARM_PER_GB_SECOND,
        retry_cost.busy.as_secs_f64() * REMINDERS_MEMORY_GB * LAMBDA_ARM_PER_GB_SECOND,
    );
    let ses_per_day = per_day(sent as f64 * SES_PER_MAIL, 0.0);
    let figures = json!({
        "learners": learners,
        "learners_per_hour": per_hour,
        "run": {
            "report": report,
            "round_trips": trips,
            "round_trips_per_learner": trips as f64 / per_hour as f64,
            "ses_calls": sent,
            "read_units": cost.read_units,
            "write_units": cost.write_units,
            "store_busy_s": cost.busy.as_secs_f64(),
            "wall_s_here": wall.as_secs_f64(),
        },
        "retry": {
            "report": retry,
            "round_trips": retry_trips,
            "read_units": retry_cost.read_units,
            "write_units": retry_cost.write_units,
            "wall_s_here": retry_wall.as_secs_f64(),
        },
        "per_day": {
            "round_trips": per_day(trips as f64, retry_trips as f64),
            "ses_calls": per_day(sent as f64, 0.0),
            "dynamodb_usd": dynamodb_per_day,
            "lambda_usd": lambda_per_day,
            "ses_usd": ses_per_day,
            "run_seconds_in_aws_at_14_per_s": run_seconds_in_aws,
        },
    });
    let out = rolechat_tests::repo::repo_file("target/bench");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(
        out.join("reminders.json"),
        serde_json::to_string_pretty(&figures).unwrap(),
    )
    .unwrap();
    println!(
        "Reminders for {learners} learners ({per_hour} an hour, half with nothing to remind of)"
    );
    println!("| | one hour's run | its retry (an empty run) | a day (24 + 72 runs) |");
    println!("|---|---|---|---|");
    println!(
        "| DynamoDB round trips | {trips} | {retry_trips} | {:.0} |",
        per_day(trips as f64, retry_trips as f64)
    );
    println!(
        "| round trips per learner due | {:.2} | | |",
        trips as f64 / per_hour as f64
    );
    println!(
        "| SES calls (mails) | {sent} | {} | {:.0} |",
        retry.daily_sent + retry.weekly_sent,
        per_day(sent as f64, 0.0)
    );
    println!(
        "| read / write units | {:.0} / {:.0} | {:.0} / {:.0} | {:.0} / {:.0} |",
        cost.read_units,
        cost.write_units,
        retry_cost.read_units,
        retry_cost.write_units,
        per_day(cost.read_units, retry_cost.read_units),
        per_day(cost.write_units, retry_cost.write_units)
    );
    println!(
        "| wall time here (local SMTP) | {:.1} s | {:.2} s | |",
        wall.as_secs_f64(),
        retry_wall.as_secs_f64()
    );
    println!("| a run in AWS at SES's 14/s | {run_seconds_in_aws:.0} s | | |");
    println!(
        "| cost a day (USD): DynamoDB {dynamodb_per_day:.4}, Lambda {lambda_per_day:.4}, SES {ses_per_day:.2} | | | |"
    );
}
