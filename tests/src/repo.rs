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

/// A template as CloudFormation deploys it with `parameters` (the rest at their defaults): its
/// conditions evaluated, `!If` replaced by the branch taken, `!Ref AWS::NoValue` removed.
pub fn deployed(template: &Yaml, parameters: &[(&str, &str)]) -> Yaml {
    let value_of = |name: &str| -> String {
        parameters
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_string())
            .unwrap_or_else(|| {
                let default = &template["Parameters"][name]["Default"];
                match default {
                    Yaml::String(s) => s.clone(),
                    Yaml::Number(n) => n.to_string(),
                    _ => String::new(),
                }
            })
    };
    resolve(template, template, &value_of).expect("the template is not empty")
}

fn tag_of(value: &Yaml) -> Option<(String, &Yaml)> {
    match value {
        Yaml::Tagged(tagged) => Some((
            tagged.tag.to_string().trim_start_matches('!').to_owned(),
            &tagged.value,
        )),
        _ => None,
    }
}

fn condition(name: &str, template: &Yaml, value_of: &dyn Fn(&str) -> String) -> bool {
    let definition = &template["Conditions"][name];
    assert!(!definition.is_null(), "no condition {name}");
    holds(definition, template, value_of)
}

fn holds(expression: &Yaml, template: &Yaml, value_of: &dyn Fn(&str) -> String) -> bool {
    let (tag, args) =
        tag_of(expression).unwrap_or_else(|| panic!("not a condition: {expression:?}"));
    let list = || args.as_sequence().cloned().unwrap_or_default();
    let value = |operand: &Yaml| match tag_of(operand) {
        Some((tag, name)) if tag == "Ref" => value_of(text(name)),
        _ => text(operand).to_owned(),
    };
    match tag.as_str() {
        "Equals" => value(&list()[0]) == value(&list()[1]),
        "Not" => !holds(&list()[0], template, value_of),
        "Or" => list().iter().any(|e| holds(e, template, value_of)),
        "And" => list().iter().all(|e| holds(e, template, value_of)),
        "Condition" => condition(text(args), template, value_of),
        other => panic!("unknown condition function {other}"),
    }
}

fn resolve(value: &Yaml, template: &Yaml, value_of: &dyn Fn(&str) -> String) -> Option<Yaml> {
    match value {
        Yaml::Tagged(tagged) => match tag_of(value) {
            Some((tag, args)) if tag == "If" => {
                let args = args.as_sequence().expect("!If takes a list");
                let taken = if condition(text(&args[0]), template, value_of) {
                    &args[1]
                } else {
                    &args[2]
                };
                resolve(taken, template, value_of)
            }
            Some((tag, args)) if tag == "Ref" && args.as_str() == Some("AWS::NoValue") => None,
            _ => Some(Yaml::Tagged(Box::new(serde_norway::value::TaggedValue {
                tag: tagged.tag.clone(),
                value: resolve(&tagged.value, template, value_of)?,
            }))),
        },
        Yaml::Sequence(items) => Some(Yaml::Sequence(
            items
                .iter()
                .filter_map(|item| resolve(item, template, value_of))
                .collect(),
        )),
        Yaml::Mapping(mapping) => {
            // A resource whose condition does not hold is not deployed.
            if let Some(name) = mapping.get("Condition").and_then(Yaml::as_str)
                && mapping.contains_key("Type")
                && !condition(name, template, value_of)
            {
                return None;
            }
            Some(Yaml::Mapping(
                mapping
                    .iter()
                    .filter_map(|(k, v)| Some((k.clone(), resolve(v, template, value_of)?)))
                    .collect(),
            ))
        }
        other => Some(other.clone()),
    }
}
