//! The API tests: one binary, so the AWS SDK, the embedded DynamoDB and the HTTP stacks are
//! linked once for all of them. Each module is one area of the contract. (The smoke suite, which
//! drives the real function binaries, and the environment test, which sets the process's
//! environment, are binaries of their own.)

mod account_api;
mod aids_api;
mod auth_api;
mod authorization;
mod auto_feedback;
mod bad_input;
mod bedrock_api;
mod chat_api;
mod concurrency;
mod consistency;
mod demo;
mod email_api;
mod faults;
mod iam;
mod model_streams;
mod one_process;
mod progress_api;
mod providers;
mod report_vocabulary;
mod rooms_api;
mod scenarios_api;
mod social_api;
mod speech_api;
mod takeover;
