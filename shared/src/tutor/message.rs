//! A message of a prompt as the chat-completions API takes it, and the instruction that asks a
//! server without schema enforcement for JSON.

use serde::Serialize;

/// One message of a prompt: a role and its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PromptMessage {
    pub role: &'static str,
    pub content: String,
}

impl PromptMessage {
    pub(crate) fn system(content: String) -> Self {
        PromptMessage {
            role: "system",
            content,
        }
    }

    pub(crate) fn user(content: String) -> Self {
        PromptMessage {
            role: "user",
            content,
        }
    }

    pub(crate) fn assistant(content: String) -> Self {
        PromptMessage {
            role: "assistant",
            content,
        }
    }
}

/// Asks for the answer as JSON following `schema`, in the system message, for servers that do
/// not enforce a schema themselves (the answer is validated all the same). It names JSON, which
/// `json_object` mode needs at OpenAI and DeepSeek.
pub(crate) fn ask_for_json(prompt: &mut [PromptMessage], schema: &serde_json::Value) {
    let instruction = format!(
        "\n\nAnswer with one JSON object only, no other text and no code fence, that follows \
         this JSON Schema:\n{schema}"
    );
    match prompt.iter_mut().find(|message| message.role == "system") {
        Some(system) => system.content.push_str(&instruction),
        None => {
            if let Some(first) = prompt.first_mut() {
                first.content.insert_str(0, instruction.trim_start());
            }
        }
    }
}
