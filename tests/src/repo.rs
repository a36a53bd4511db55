//! The repository's own files, for tests that check them against the code.

use std::path::PathBuf;

use serde_norway::Value as Yaml;

pub fn repo_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(name)
}

pub fn yaml(name: &str) -> Yaml {
    let text = std::fs::read_to_string(repo_file(name)).unwrap();
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A YAML value with CloudFormation's short tags (`!Ref`, `!Sub`) taken as their plain value.
pub fn untagged(value: &Yaml) -> &Yaml {
    match value {
        Yaml::Tagged(tagged) => &tagged.value,
        other => other,
    }
}

pub fn text(value: &Yaml) -> &str {
    untagged(value)
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value:?}"))
}

/// The function a template resource deploys: `CodeUri: target/lambda/<function>/`.
pub fn function_of(resource: &Yaml) -> String {
    let code = text(&resource["Properties"]["CodeUri"]);
    code.strip_prefix("target/lambda/")
        .and_then(|rest| rest.strip_suffix('/'))
        .unwrap_or_else(|| panic!("CodeUri {code} is not target/lambda/<function>/"))
        .to_owned()
}

/// The committed event fixture `functions/<function>/events/<file>` with its placeholders
/// filled: the access token, the room id and the message id it names.
pub fn filled_fixture(
    function: &str,
    file: &str,
    token: &str,
    room: &str,
    message: &str,
) -> String {
    std::fs::read_to_string(repo_file(&format!("functions/{function}/events/{file}")))
        .unwrap_or_else(|e| panic!("{function}/{file}: {e}"))
        .replace("REPLACE_WITH_ACCESS_TOKEN", token)
        .replace("01JD6Z5YV3N1J0Q8M9K2W7R4TB", room)
        .replace("01JD6Z5YV3N1J0Q8M9K2W7R4TC", message)
}
