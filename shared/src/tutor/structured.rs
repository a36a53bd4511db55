//! How a structured answer is made sure of, whichever API carries it: validated against its
//! schema whatever the server enforced; cut at its budget, asked once more with twice the
//! budget; invalid, asked once more with the validation error quoted. Never half an answer.

use std::future::Future;

use serde_json::Value;

use super::TutorError;
use super::message::PromptMessage;
use super::openai::Completed;
use super::schema::Schema;
use super::task::Task;

/// Asks `ask` (the prompt so far, and the factor its budget is multiplied by) until the answer
/// follows `schema`, within the rules above.
pub(crate) async fn until_valid<F, Fut>(
    task: Task,
    prompt: &[PromptMessage],
    schema: &Schema,
    mut ask: F,
) -> Result<Value, TutorError>
where
    F: FnMut(Vec<PromptMessage>, u32) -> Fut,
    Fut: Future<Output = Result<Completed, TutorError>>,
{
    let mut messages = prompt.to_vec();
    let mut budget_factor = 1;
    let mut repaired = false;
    loop {
        let completed = ask(messages.clone(), budget_factor).await?;
        if completed.finish.cut {
            if budget_factor == 1 {
                tracing::warn!(%task, "a structured answer was cut at its budget; asking again with twice the budget");
                budget_factor = 2;
                continue;
            }
            return Err(TutorError::Upstream(format!(
                "the model's {} was cut at its token limit, even at twice the budget",
                schema.name
            )));
        }
        let problem = match json_in(&completed.text) {
            Ok(answer) => match schema.validate(&answer) {
                Ok(()) => return Ok(answer),
                Err(problem) => problem,
            },
            Err(problem) => problem,
        };
        if repaired {
            return Err(TutorError::Upstream(format!(
                "the model's {} does not follow its schema: {problem}",
                schema.name
            )));
        }
        tracing::warn!(%task, %problem, "a structured answer does not follow its schema; asking once more");
        repaired = true;
        messages.push(PromptMessage::assistant(completed.text));
        messages.push(PromptMessage::user(format!(
            "That answer does not follow the JSON schema ({problem}). Answer again with \
             the corrected JSON object only."
        )));
    }
}

/// The JSON object in a model's answer: the whole text, or the object inside a code fence or
/// after a sentence of preamble (what a model asked in words often writes).
pub(crate) fn json_in(text: &str) -> Result<Value, String> {
    let text = text.trim();
    if let Ok(value) = serde_json::from_str::<Value>(text)
        && value.is_object()
    {
        return Ok(value);
    }
    let (Some(start), Some(end)) = (text.find('{'), text.rfind('}')) else {
        return Err("the answer is not a JSON object".into());
    };
    if start >= end {
        return Err("the answer is not a JSON object".into());
    }
    serde_json::from_str::<Value>(&text[start..=end])
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| "the answer is not a JSON object".into())
}
