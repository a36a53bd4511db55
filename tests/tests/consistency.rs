//! The places that describe the same thing must agree: the routes in code, the local router in
//! Cargo.toml, the template's API events, `openapi.yaml`, and the table definitions.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use rolechat::routes::ROUTES;
use rolechat::store::schema::ALL_TABLES;
use serde_json::Value as Json;
use serde_norway::Value as Yaml;

fn repo_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(name)
}

fn yaml(name: &str) -> Yaml {
    let text = std::fs::read_to_string(repo_file(name)).unwrap();
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A YAML value with CloudFormation's short tags (`!Ref`, `!Sub`) taken as their plain value.
fn untagged(value: &Yaml) -> &Yaml {
    match value {
        Yaml::Tagged(tagged) => &tagged.value,
        other => other,
    }
}

fn text(value: &Yaml) -> &str {
    untagged(value)
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value:?}"))
}

/// (path, method or ANY, function): how requests reach functions. API Gateway's greedy
/// `{proxy+}` is written as the router's `{*path}`.
type Routing = BTreeSet<(String, String, String)>;

fn fallback_routing() -> Routing {
    [("/", "ANY"), ("/{*path}", "ANY")]
        .into_iter()
        .map(|(path, method)| (path.to_owned(), method.to_owned(), "fallback".to_owned()))
        .collect()
}

/// What the routes in code imply: a path served by one function sends it every method (it
/// answers 405 itself); a path shared by several functions lists its methods.
fn routing_from_code() -> Routing {
    let mut routing = fallback_routing();
    let paths: BTreeSet<_> = ROUTES.iter().map(|r| r.path).collect();
    for path in paths {
        let routes: Vec<_> = ROUTES.iter().filter(|r| r.path == path).collect();
        if routes.iter().all(|r| r.function == routes[0].function) {
            routing.insert((
                path.to_owned(),
                "ANY".to_owned(),
                routes[0].function.to_owned(),
            ));
        } else {
            for route in routes {
                routing.insert((
                    path.to_owned(),
                    route.method.to_string(),
                    route.function.to_owned(),
                ));
            }
        }
    }
    routing
}

fn routing_from_local_router() -> Routing {
    let output = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(repo_file(""))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Json = serde_json::from_slice(&output.stdout).unwrap();
    let router = metadata["metadata"]["lambda"]["watch"]["router"]
        .as_object()
        .expect("[workspace.metadata.lambda.watch.router] exists");
    let mut routing = Routing::new();
    for (path, target) in router {
        match target {
            Json::String(function) => {
                routing.insert((path.clone(), "ANY".into(), function.clone()));
            }
            Json::Array(entries) => {
                for entry in entries {
                    let method = entry["method"].as_str().unwrap().to_owned();
                    routing.insert((
                        path.clone(),
                        method,
                        entry["function"].as_str().unwrap().to_owned(),
                    ));
                }
            }
            other => panic!("unexpected router entry for {path}: {other}"),
        }
    }
    routing
}

fn routing_from_template() -> Routing {
    let template = yaml("template.yaml");
    let mut routing = Routing::new();
    for (_, resource) in template["Resources"].as_mapping().unwrap() {
        if resource["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let function = text(&resource["Metadata"]["BuildProperties"]["Binary"]).to_owned();
        let Some(events) = resource["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for (_, event) in events {
            if event["Type"] == "Api" {
                let path = text(&event["Properties"]["Path"]).replace("{proxy+}", "{*path}");
                let method = text(&event["Properties"]["Method"]).to_uppercase();
                routing.insert((path, method, function.clone()));
            }
        }
    }
    routing
}

#[test]
fn the_local_router_and_the_template_route_like_the_code() {
    let expected = routing_from_code();
    assert_eq!(
        routing_from_local_router(),
        expected,
        "Cargo.toml's router differs from shared/src/routes.rs"
    );
    assert_eq!(
        routing_from_template(),
        expected,
        "template.yaml's API events differ from shared/src/routes.rs"
    );
}

#[test]
fn openapi_describes_exactly_the_routes() {
    let spec = yaml("openapi.yaml");
    let mut described = BTreeSet::new();
    for (path, operations) in spec["paths"].as_mapping().unwrap() {
        for (method, operation) in operations.as_mapping().unwrap() {
            let function = text(&operation["x-rolechat-function"]).to_owned();
            described.insert((text(path).to_owned(), text(method).to_uppercase(), function));
        }
    }
    let routes: BTreeSet<_> = ROUTES
        .iter()
        .map(|r| {
            (
                r.path.to_owned(),
                r.method.to_string(),
                r.function.to_owned(),
            )
        })
        .collect();
    assert_eq!(described, routes);
}

#[test]
fn every_function_has_a_crate_and_event_fixtures() {
    let functions: BTreeSet<_> = ROUTES
        .iter()
        .map(|r| r.function)
        .chain(["fallback"])
        .collect();
    for function in functions {
        let dir = repo_file(&format!("functions/{function}"));
        assert!(
            dir.join("Cargo.toml").is_file(),
            "functions/{function}/Cargo.toml"
        );
        let fixtures = std::fs::read_dir(dir.join("events"))
            .unwrap_or_else(|_| panic!("functions/{function}/events"));
        let mut count = 0;
        for fixture in fixtures {
            let path = fixture.unwrap().path();
            let event: Json = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            assert!(
                event["httpMethod"].is_string() && event["requestContext"].is_object(),
                "{path:?} is REST-shaped"
            );
            count += 1;
        }
        assert!(count > 0, "functions/{function}/events has no fixture");
    }
}

#[test]
fn the_template_declares_the_tables_of_the_schema() {
    let template = yaml("template.yaml");
    let resources = template["Resources"].as_mapping().unwrap();
    let declared: BTreeSet<_> = resources
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::DynamoDB::Table")
        .map(|(id, _)| text(id).to_owned())
        .collect();
    let defined: BTreeSet<_> = ALL_TABLES.iter().map(|t| t.resource.to_owned()).collect();
    assert_eq!(
        declared, defined,
        "template.yaml and schema.rs name different tables"
    );

    for table in ALL_TABLES {
        let properties = &template["Resources"][table.resource]["Properties"];
        assert_eq!(
            text(&properties["TableName"]),
            format!("${{AWS::StackName}}-{}", table.name)
        );
        assert_eq!(
            properties["BillingMode"], "PAY_PER_REQUEST",
            "{}",
            table.name
        );

        let mut keys = vec![(table.partition_key, "HASH")];
        keys.extend(table.sort_key.map(|key| (key, "RANGE")));
        let key_schema: Vec<_> = properties["KeySchema"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|k| (text(&k["AttributeName"]), text(&k["KeyType"])))
            .collect();
        assert_eq!(key_schema, keys, "{} key schema", table.name);
        let attributes: BTreeSet<_> = properties["AttributeDefinitions"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|a| (text(&a["AttributeName"]), text(&a["AttributeType"])))
            .collect();
        let expected: BTreeSet<_> = keys.iter().map(|(name, _)| (*name, "S")).collect();
        assert_eq!(attributes, expected, "{} attribute definitions", table.name);

        let ttl = &properties["TimeToLiveSpecification"];
        match table.ttl_attribute {
            Some(attribute) => {
                assert_eq!(text(&ttl["AttributeName"]), attribute, "{} TTL", table.name);
                assert_eq!(ttl["Enabled"], true);
            }
            None => assert!(ttl.is_null(), "{} has no TTL in the schema", table.name),
        }
        assert_eq!(
            properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
            true
        );
        assert_eq!(properties["SSESpecification"]["SSEEnabled"], true);
    }
}
