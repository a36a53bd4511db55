//! The places that describe the same thing must agree: the routes in code, the local router in
//! Cargo.toml, the template's API events, `openapi.yaml`, and the table definitions.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use rolechat::routes::ROUTES;
use rolechat::store::schema::ALL_TABLES;
use rolechat_tests::repo::{function_of, repo_file, text, yaml};
use serde_json::Value as Json;

/// For every path and method, the function a request reaches (or `-` when none does). API
/// Gateway's greedy `{proxy+}` is written as the router's `{*path}`.
type Routing = BTreeMap<(String, &'static str), String>;

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
const UNROUTED: &str = "-";

/// Expands `(path, method or ANY, function)` declarations into a routing, where a declaration
/// for one method beats `ANY` on the same path.
fn routing(declared: &[(String, String, String)]) -> Routing {
    let mut routing = Routing::new();
    let paths: BTreeSet<_> = declared.iter().map(|(path, _, _)| path.clone()).collect();
    for path in paths {
        for method in METHODS {
            let find = |wanted: &str| declared.iter().find(|(p, m, _)| *p == path && m == wanted);
            let function = find(method)
                .or_else(|| find("ANY"))
                .map(|(_, _, f)| f.as_str());
            routing.insert(
                (path.clone(), method),
                function.unwrap_or(UNROUTED).to_owned(),
            );
        }
    }
    routing
}

/// What the routes in code imply: a route's function for its method; on a path served by one
/// function, that function for any other method (it answers 405); elsewhere `fallback`.
fn routing_from_code() -> Routing {
    let mut declared = vec![
        ("/".to_owned(), "ANY".to_owned(), "fallback".to_owned()),
        (
            "/{*path}".to_owned(),
            "ANY".to_owned(),
            "fallback".to_owned(),
        ),
    ];
    let paths: BTreeSet<_> = ROUTES.iter().map(|r| r.path).collect();
    for path in paths {
        let routes: Vec<_> = ROUTES.iter().filter(|r| r.path == path).collect();
        let single = routes.iter().all(|r| r.function == routes[0].function);
        let other = if single {
            routes[0].function
        } else {
            "fallback"
        };
        declared.push((path.to_owned(), "ANY".to_owned(), other.to_owned()));
        for route in routes {
            declared.push((
                path.to_owned(),
                route.method.to_string(),
                route.function.to_owned(),
            ));
        }
    }
    routing(&declared)
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
    let mut declared = Vec::new();
    for (path, target) in router {
        match target {
            Json::String(function) => declared.push((path.clone(), "ANY".into(), function.clone())),
            Json::Array(entries) => {
                for entry in entries {
                    let method = entry["method"].as_str().unwrap().to_owned();
                    declared.push((
                        path.clone(),
                        method,
                        entry["function"].as_str().unwrap().to_owned(),
                    ));
                }
            }
            other => panic!("unexpected router entry for {path}: {other}"),
        }
    }
    routing(&declared)
}

fn routing_from_template() -> Routing {
    let template = yaml("template.yaml");
    let mut declared = Vec::new();
    for (_, resource) in template["Resources"].as_mapping().unwrap() {
        if resource["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let function = function_of(resource);
        let Some(events) = resource["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for (_, event) in events {
            if event["Type"] == "Api" {
                let path = text(&event["Properties"]["Path"]).replace("{proxy+}", "{*path}");
                let method = text(&event["Properties"]["Method"]).to_uppercase();
                declared.push((path, method, function.clone()));
            }
        }
    }
    routing(&declared)
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
            if text(method) == "parameters" {
                continue;
            }
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
fn every_function_has_a_crate_that_serves_it_and_event_fixtures() {
    let functions: BTreeSet<_> = rolechat::routes::functions().into_iter().collect();
    let crates: BTreeSet<String> = std::fs::read_dir(repo_file("functions"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !rolechat::routes::WORKERS.contains(&name.as_str()))
        .collect();
    assert_eq!(
        crates,
        functions.iter().map(|f| f.to_string()).collect(),
        "functions/ holds a crate for each function of the route table, and the workers"
    );
    for function in functions {
        let dir = repo_file(&format!("functions/{function}"));
        let main = std::fs::read_to_string(dir.join("src/main.rs")).unwrap();
        assert!(
            main.contains(&format!("rolechat::runtime::run(\"{function}\")")),
            "functions/{function}/src/main.rs runs the routes of `{function}`"
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
        let expected: BTreeSet<_> = table
            .key_attribute_names()
            .into_iter()
            .map(|name| (name, "S"))
            .collect();
        assert_eq!(attributes, expected, "{} attribute definitions", table.name);

        let indexes: BTreeSet<_> = properties["LocalSecondaryIndexes"]
            .as_sequence()
            .map(|indexes| {
                indexes
                    .iter()
                    .map(|index| {
                        let keys: Vec<_> = index["KeySchema"]
                            .as_sequence()
                            .unwrap()
                            .iter()
                            .map(|k| (text(&k["AttributeName"]), text(&k["KeyType"])))
                            .collect();
                        assert_eq!(
                            keys[0],
                            (table.partition_key, "HASH"),
                            "{} index",
                            table.name
                        );
                        assert_eq!(text(&index["Projection"]["ProjectionType"]), "ALL");
                        (text(&index["IndexName"]), keys[1].0)
                    })
                    .collect()
            })
            .unwrap_or_default();
        let expected: BTreeSet<_> = table
            .local_indexes
            .iter()
            .map(|index| (index.name, index.sort_key))
            .collect();
        assert_eq!(indexes, expected, "{} local indexes", table.name);

        let global: BTreeSet<_> = properties["GlobalSecondaryIndexes"]
            .as_sequence()
            .map(|indexes| {
                indexes
                    .iter()
                    .map(|index| {
                        let keys: Vec<_> = index["KeySchema"]
                            .as_sequence()
                            .unwrap()
                            .iter()
                            .map(|k| (text(&k["AttributeName"]), text(&k["KeyType"])))
                            .collect();
                        assert_eq!(keys.len(), 1, "{} global index has one key", table.name);
                        assert_eq!(keys[0].1, "HASH");
                        assert_eq!(text(&index["Projection"]["ProjectionType"]), "KEYS_ONLY");
                        (text(&index["IndexName"]), keys[0].0)
                    })
                    .collect()
            })
            .unwrap_or_default();
        let expected: BTreeSet<_> = table
            .global_indexes
            .iter()
            .map(|index| (index.name, index.partition_key))
            .collect();
        assert_eq!(global, expected, "{} global indexes", table.name);
        let stream = &properties["StreamSpecification"]["StreamViewType"];
        if table.stream {
            assert_eq!(stream, "NEW_IMAGE", "{} stream", table.name);
        } else {
            assert!(
                stream.is_null(),
                "{} has no stream in the schema",
                table.name
            );
        }

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
