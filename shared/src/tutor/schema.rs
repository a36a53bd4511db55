//! The JSON schemas of structured answers: generated from the Rust types the answers are read
//! into (so the two cannot drift), made to follow OpenAI's strict mode, checked against its
//! documented rules, and used to validate every answer whatever the provider enforced.

use schemars::JsonSchema;
use serde_json::{Map, Value, json};

/// A named schema, as `response_format` sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    pub name: &'static str,
    pub value: Value,
}

impl Schema {
    /// The schema of `T`, inlined and made strict: every object closed
    /// (`additionalProperties: false`) with every property required.
    pub fn of<T: JsonSchema>(name: &'static str) -> Schema {
        let generator = schemars::generate::SchemaSettings::draft2020_12()
            .with(|settings| settings.inline_subschemas = true)
            .into_generator();
        let mut value = generator.into_root_schema_for::<T>().to_value();
        // An `Option` is written `anyOf` a type and null: one type per schema, which every
        // dialect reads the same way.
        split_type_arrays(&mut value);
        Schema::strict(name, value)
    }

    /// A schema built by hand (one whose properties are only known at run time), made strict.
    pub fn strict(name: &'static str, mut value: Value) -> Schema {
        tidy(&mut value);
        Schema { name, value }
    }

    /// The schema without `"type": [T, "null"]`, written as `anyOf` for dialects (Gemini's)
    /// that take one type per schema.
    pub fn without_type_arrays(&self) -> Value {
        let mut value = self.value.clone();
        split_type_arrays(&mut value);
        value
    }

    /// The schema as a decoding grammar takes it: without the bounds on a list's length
    /// (`maxItems`, `minItems` above 1), which Bedrock's structured output (Claude's grammar)
    /// refuses. The answer is still validated against the whole schema.
    pub fn for_grammar(&self) -> Value {
        fn strip(value: &mut Value) {
            match value {
                Value::Object(object) => {
                    object.remove("maxItems");
                    if object.get("minItems").and_then(Value::as_u64) > Some(1) {
                        object.remove("minItems");
                    }
                    object.values_mut().for_each(strip);
                }
                Value::Array(items) => items.iter_mut().for_each(strip),
                _ => {}
            }
        }
        let mut value = self.value.clone();
        strip(&mut value);
        value
    }

    /// Whether `answer` follows the schema; the error names where and what, never the value
    /// (which is the model's or the learner's text).
    pub fn validate(&self, answer: &Value) -> Result<(), String> {
        let validator = jsonschema::validator_for(&self.value)
            .map_err(|error| format!("the {} schema itself is invalid: {error}", self.name))?;
        let errors: Vec<String> = validator
            .iter_errors(answer)
            .take(3)
            .map(|error| {
                let at = error.instance_path().to_string();
                let at = if at.is_empty() { "/".to_owned() } else { at };
                format!("at {at}: {}", describe(&error))
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }
}

/// What a validation error is, in words that quote no value.
fn describe(error: &jsonschema::ValidationError<'_>) -> String {
    use jsonschema::error::ValidationErrorKind as Kind;
    match error.kind() {
        Kind::Required { property } => format!("the required property {property} is missing"),
        Kind::AdditionalProperties { unexpected } => {
            format!("properties not in the schema: {}", unexpected.join(", "))
        }
        Kind::Type { kind } => format!("the value is not of type {kind:?}"),
        Kind::Enum { .. } => "the value is not one of those allowed".into(),
        Kind::MaxItems { limit } => format!("more than {limit} items"),
        Kind::MinItems { limit } => format!("fewer than {limit} items"),
        other => format!("{other:?}")
            .split(['{', '('])
            .next()
            .unwrap_or("invalid")
            .trim()
            .to_owned(),
    }
}

/// Strict mode's shape: closed objects with every property required; no `$schema`, titles,
/// descriptions (the doc comments of our types; the prompts say what each field is) or formats
/// (schemars' integer formats are not JSON Schema's).
fn tidy(value: &mut Value) {
    let Value::Object(object) = value else {
        if let Value::Array(items) = value {
            items.iter_mut().for_each(tidy);
        }
        return;
    };
    for keyword in ["$schema", "title", "description", "format"] {
        object.remove(keyword);
    }
    if let Some(Value::Object(properties)) = object.get("properties") {
        let required = object.get("required").and_then(Value::as_array);
        // Every property, in the order given when the order was (a goal check lists its goals
        // as the room does).
        let complete = required.is_some_and(|names| {
            names.len() == properties.len()
                && properties
                    .keys()
                    .all(|key| names.iter().any(|name| name == key))
        });
        let names: Vec<Value> = match required {
            Some(names) if complete => names.clone(),
            _ => properties.keys().cloned().map(Value::from).collect(),
        };
        object.insert("required".into(), Value::Array(names));
        object.insert("additionalProperties".into(), Value::Bool(false));
    }
    for (name, child) in object.iter_mut() {
        if name != "enum" && name != "const" {
            tidy(child);
        }
    }
}

fn split_type_arrays(value: &mut Value) {
    match value {
        Value::Object(object) => {
            if let Some(Value::Array(types)) = object.get("type").cloned() {
                object.remove("type");
                let rest = std::mem::take(object);
                let variants: Vec<Value> = types
                    .into_iter()
                    .map(|kind| {
                        if kind == "null" {
                            json!({"type": "null"})
                        } else {
                            let mut variant: Map<String, Value> = rest
                                .iter()
                                .filter(|(key, _)| *key != "enum")
                                .map(|(k, v)| (k.clone(), v.clone()))
                                .collect();
                            variant.insert("type".into(), kind);
                            if let Some(Value::Array(values)) = rest.get("enum") {
                                let kept: Vec<Value> =
                                    values.iter().filter(|v| !v.is_null()).cloned().collect();
                                variant.insert("enum".into(), Value::Array(kept));
                            }
                            Value::Object(variant)
                        }
                    })
                    .collect();
                object.insert("anyOf".into(), Value::Array(variants));
            }
            for child in object.values_mut() {
                split_type_arrays(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(split_type_arrays),
        _ => {}
    }
}

/// OpenAI's strict structured outputs refuse a schema that breaks one of these documented
/// rules; the refusal is in these words (`In context=(...)` names the path of property names).
/// Used by the tests on every schema we send, and by the test model server to refuse as OpenAI
/// does.
pub fn strict_violations(name: &str, schema: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let say = |context: &[String], what: String| {
        let context = context
            .iter()
            .map(|part| format!("'{part}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let comma = if context.contains(',') || context.is_empty() {
            ""
        } else {
            ","
        };
        format!(
            "Invalid schema for response_format '{name}': In context=({context}{comma}), {what}"
        )
    };
    if schema["type"] != "object" {
        problems.push(say(
            &[],
            "schema must be a JSON Schema of 'type: \"object\"', got 'type: \"{}\"'."
                .replace("{}", schema["type"].as_str().unwrap_or("None")),
        ));
    }
    let mut counts = (0usize, 0usize);
    walk(
        schema,
        &mut Vec::new(),
        1,
        &mut counts,
        &mut |context, what| problems.push(say(context, what)),
    );
    if counts.0 > 5000 {
        problems.push(say(
            &[],
            "too many object properties (more than 5000).".into(),
        ));
    }
    if counts.1 > 1000 {
        problems.push(say(&[], "too many enum values (more than 1000).".into()));
    }
    problems
}

const UNSUPPORTED: &[&str] = &[
    "allOf",
    "not",
    "if",
    "then",
    "else",
    "dependentRequired",
    "dependentSchemas",
    "patternProperties",
    "minLength",
    "maxLength",
    "minProperties",
    "maxProperties",
    "uniqueItems",
    "contains",
];

fn walk(
    schema: &Value,
    context: &mut Vec<String>,
    depth: usize,
    counts: &mut (usize, usize),
    report: &mut dyn FnMut(&[String], String),
) {
    let Some(object) = schema.as_object() else {
        return;
    };
    if depth > 10 {
        report(context, "nesting is deeper than 10 levels.".into());
        return;
    }
    for keyword in UNSUPPORTED {
        if object.contains_key(*keyword) {
            report(context, format!("'{keyword}' is not permitted."));
        }
    }
    if let Some(values) = object.get("enum").and_then(Value::as_array) {
        counts.1 += values.len();
    }
    let types: Vec<&str> = match &object.get("type") {
        Some(Value::String(kind)) => vec![kind.as_str()],
        Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if types.contains(&"object") {
        if object.get("additionalProperties") != Some(&Value::Bool(false)) {
            report(
                context,
                "'additionalProperties' is required to be supplied and to be false.".into(),
            );
        }
        let properties = object.get("properties").and_then(Value::as_object);
        let required: Vec<&str> = object
            .get("required")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for name in properties.iter().flat_map(|p| p.keys()) {
            if !required.contains(&name.as_str()) {
                report(
                    context,
                    format!(
                        "'required' is required to be supplied and to be an array including \
                         every key in properties. Missing '{name}'."
                    ),
                );
            }
        }
        for (name, property) in properties.into_iter().flatten() {
            counts.0 += 1;
            context.push(name.clone());
            walk(property, context, depth + 1, counts, report);
            context.pop();
        }
    }
    if let Some(items) = object.get("items") {
        context.push("items".into());
        walk(items, context, depth + 1, counts, report);
        context.pop();
    }
    for (index, variant) in object
        .get("anyOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        context.push(format!("anyOf/{index}"));
        walk(variant, context, depth, counts, report);
        context.pop();
    }
    for (name, definition) in object
        .get("$defs")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        context.push(format!("$defs/{name}"));
        walk(definition, context, depth, counts, report);
        context.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Answer {
        text: String,
        #[schemars(length(max = 3))]
        notes: Vec<Note>,
        level: Option<String>,
    }

    #[derive(serde::Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Note {
        word: String,
        count: u32,
    }

    #[test]
    fn a_grammar_has_no_bounds_on_lists_but_the_answer_is_still_held_to_them() {
        let schema = Schema::of::<Answer>("answer");
        let grammar = schema.for_grammar();
        assert!(!grammar.to_string().contains("maxItems"));
        assert_eq!(
            grammar["properties"]["text"],
            schema.value["properties"]["text"]
        );
        let note = json!({"word": "a", "count": 1});
        let four = json!({"text": "t", "notes": [note, note, note, note], "level": null});
        assert!(schema.validate(&four).is_err());
    }

    #[test]
    fn generated_schemas_are_strict() {
        let schema = Schema::of::<Answer>("answer");
        assert_eq!(
            strict_violations("answer", &schema.value),
            Vec::<String>::new()
        );
        assert_eq!(schema.value["properties"]["notes"]["maxItems"], 3);
        assert_eq!(
            schema.value["properties"]["notes"]["items"]["additionalProperties"],
            false
        );
        assert!(schema.value.get("$schema").is_none());
        assert!(!schema.value.to_string().contains("description"));
    }

    #[test]
    fn open_or_partly_required_objects_are_refused_in_openais_words() {
        let open =
            json!({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]});
        assert_eq!(
            strict_violations("feedback", &open),
            [
                "Invalid schema for response_format 'feedback': In context=(), 'additionalProperties' is required to be supplied and to be false."
            ]
        );
        let partly = json!({"type": "object", "additionalProperties": false, "required": [],
            "properties": {"inner": {"type": "object", "additionalProperties": false,
                "properties": {"b": {"type": "string"}}, "required": []}}});
        let problems = strict_violations("report", &partly);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[1].contains("In context=('inner',), 'required'"),
            "{problems:?}"
        );
        assert!(problems[1].ends_with("Missing 'b'."));
        let array_root = json!({"type": "array", "items": {"type": "string"}});
        assert!(strict_violations("x", &array_root)[0].contains("got 'type: \"array\"'"));
        let bounded = json!({"type": "object", "additionalProperties": false, "required": ["a"],
            "properties": {"a": {"type": "string", "maxLength": 5}}});
        assert!(strict_violations("x", &bounded)[0].contains("'maxLength' is not permitted"));
    }

    #[test]
    fn answers_are_validated_without_quoting_them() {
        let schema = Schema::of::<Answer>("answer");
        let good = json!({"text": "hi", "notes": [{"word": "a", "count": 1}], "level": null});
        assert_eq!(schema.validate(&good), Ok(()));
        let secret = "the learner's private words";
        let bad = json!({"text": 5, "notes": [{"word": secret}], "level": null, "extra": secret});
        let error = schema.validate(&bad).unwrap_err();
        assert!(!error.contains(secret), "{error}");
        assert!(error.contains("/text"), "{error}");
        let too_many = json!({"text": "", "level": "A1",
            "notes": [{"word": "a", "count": 1}, {"word": "b", "count": 1}, {"word": "c", "count": 1}, {"word": "d", "count": 1}]});
        assert!(
            schema
                .validate(&too_many)
                .unwrap_err()
                .contains("more than 3")
        );
    }

    #[test]
    fn type_arrays_become_any_of() {
        let schema = Schema::strict(
            "x",
            json!({"type": "object", "properties": {
                "level": {"type": ["string", "null"], "enum": ["A1", "B1", null]}}}),
        );
        let rewritten = schema.without_type_arrays();
        assert_eq!(
            rewritten["properties"]["level"],
            json!({"anyOf": [{"type": "string", "enum": ["A1", "B1"]}, {"type": "null"}]})
        );
    }
}
