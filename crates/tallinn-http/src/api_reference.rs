//! `docs/reference/api.md`, generated from the OpenAPI document (itself
//! generated from the handlers' types), so that the reference cannot drift
//! from the server. A test compares the committed file with what this
//! renders; `TALLINN_UPDATE_DOCS=1 cargo test -p tallinn-http api_reference`
//! rewrites it.

use std::fmt::Write;

use serde_json::Value;

/// The reference, in Markdown.
pub fn render() -> String {
    let doc = &*crate::openapi::DOCUMENT;
    let mut out = String::from(
        "# HTTP API reference (`/api/v1`)\n\n\
         Generated from the OpenAPI 3.1 document (`crates/tallinn-http/src/api_reference.rs`); do\n\
         not edit by hand: `TALLINN_UPDATE_DOCS=1 cargo test -p tallinn-http api_reference`\n\
         rewrites it. A running server serves the document at `/api/v1/openapi.json` and this\n\
         table at `/api/docs`; how to authenticate, page through lists and read errors is in\n\
         [the API guide](../guide/api.md), the TAXII 2.1 interface in\n\
         [the threat-exchange guide](../guide/threat-exchange.md).\n\n\
         Every error is `{\"error\": {\"code\", \"message\", \"field\"?}}`. What each status means\n\
         (400, 401, 403, 404, 409, 422, 429) is in [ADR 0014](../adr/0014-api-contract.md).\n",
    );
    let components = &doc["components"]["schemas"];
    let mut by_tag: std::collections::BTreeMap<String, Vec<(String, String, &Value)>> = Default::default();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let tag = op["tags"][0].as_str().unwrap_or("other").to_string();
            by_tag.entry(tag).or_default().push((method.to_uppercase(), path.clone(), op));
        }
    }
    for (tag, ops) in &by_tag {
        let _ = writeln!(out, "\n## {tag}");
        for (method, path, op) in ops {
            operation(&mut out, method, path, op, components);
        }
    }
    out
}

fn operation(out: &mut String, method: &str, path: &str, op: &Value, components: &Value) {
    let _ = writeln!(out, "\n### `{method} {path}`\n");
    let public = op["security"].as_array().is_some_and(|s| s.iter().any(|x| x.as_object().is_some_and(|o| o.is_empty())));
    let _ = writeln!(out, "{} — {}.\n", op["summary"].as_str().unwrap_or(""), if public { "anyone (the public sees TLP:CLEAR only)" } else { "signed in" });
    let parameters = op["parameters"].as_array().cloned().unwrap_or_default();
    if !parameters.is_empty() {
        out.push_str("| parameter | in | takes |\n|---|---|---|\n");
        for p in &parameters {
            let required = if p["required"] == true { " (required)" } else { "" };
            let _ = writeln!(
                out,
                "| `{}`{required} | {} | {} |",
                p["name"].as_str().unwrap_or(""),
                p["in"].as_str().unwrap_or(""),
                describe(&p["schema"], components)
            );
        }
        out.push('\n');
    }
    let body = &op["requestBody"]["content"]["application/json"]["schema"];
    if body.is_object() {
        let schema = resolve(body, components);
        let required: Vec<&str> = schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        out.push_str("| body field | takes |\n|---|---|\n");
        for (field, s) in schema["properties"].as_object().into_iter().flatten() {
            let mark = if required.contains(&field.as_str()) { " (required)" } else { "" };
            let _ = writeln!(out, "| `{field}`{mark} | {} |", describe(s, components));
        }
        if schema.get("allOf").is_some() || schema.get("if").is_some() {
            out.push_str("\nSome fields go together; the document's `if`/`then` rules say which (see the schema).\n");
        }
        out.push('\n');
    }
    let codes: Vec<String> = op["responses"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(code, r)| {
            let media: Vec<&str> = r["content"].as_object().into_iter().flatten().map(|(m, _)| m.as_str()).filter(|m| *m != "application/json").collect();
            if media.is_empty() { code.clone() } else { format!("{code} ({})", media.join(", ")) }
        })
        .collect();
    let _ = writeln!(out, "Answers: {}.", codes.join(", "));
}

/// A component the schema refers to, or the schema itself.
fn resolve<'a>(schema: &'a Value, components: &'a Value) -> &'a Value {
    match schema["$ref"].as_str().and_then(|r| r.rsplit('/').next()) {
        Some(name) => &components[name],
        None => schema,
    }
}

/// What a value takes, in words: the closed set, the rule a pattern states
/// (named after the constant it comes from), the range.
fn describe(schema: &Value, components: &Value) -> String {
    if let Some(any) = schema["anyOf"].as_array().or(schema["oneOf"].as_array()) {
        let parts: Vec<String> = any.iter().filter(|s| s["type"] != "null").map(|s| describe(s, components)).collect();
        return parts.join(", or ");
    }
    let s = resolve(schema, components);
    if let Some(values) = s["enum"].as_array() {
        return values.iter().filter_map(Value::as_str).map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ");
    }
    if let Some(c) = s["const"].as_str() {
        return format!("`{c}`");
    }
    let kind = match &s["type"] {
        Value::String(t) => t.clone(),
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).filter(|t| *t != "null").collect::<Vec<_>>().join("/"),
        _ => String::new(),
    };
    let mut words = match (kind.as_str(), s["pattern"].as_str()) {
        (_, Some(p)) => pattern_words(p),
        (_, None) if s["format"] == "date" => "date (YYYY-MM-DD)".into(),
        ("array", _) => format!("list of {}", describe(&s["items"], components)),
        ("string", _) => match s["format"].as_str() {
            Some("date") => "date (YYYY-MM-DD)".into(),
            Some("date-time") => "timestamp (RFC 3339)".into(),
            _ => "text".into(),
        },
        ("object", _) => "object".into(),
        (k, _) => k.to_string(),
    };
    if let Some(any) = s["anyOf"].as_array() {
        let parts: Vec<String> = any.iter().map(|x| describe(x, components)).collect();
        words = parts.join(", or ");
    }
    if s["pattern"] == "^[0-9]{4}$" {
        words = "year (YYYY)".into();
    } else if s["pattern"] == "^[0-9]{4}-(0[1-9]|1[0-2])$" {
        words = "month (YYYY-MM)".into();
    }
    let (min, max) = (s["minimum"].as_f64(), s["maximum"].as_f64());
    match (min, max) {
        (Some(a), Some(b)) => {
            let _ = write!(words, " {a}–{b}");
        }
        (Some(a), None) => {
            let _ = write!(words, " ≥ {a}");
        }
        (None, Some(b)) => {
            let _ = write!(words, " ≤ {b}");
        }
        _ => {}
    }
    if let Some(n) = s["maxLength"].as_u64() {
        let _ = write!(words, ", at most {n} characters");
    }
    if let Some(n) = s["minLength"].as_u64() {
        let _ = write!(words, ", at least {n} characters");
    }
    if let Some(n) = s["minItems"].as_u64() {
        let _ = write!(words, ", at least {n}");
    }
    if let Some(n) = s["maxItems"].as_u64() {
        let _ = write!(words, ", at most {n}");
    }
    if let Some(d) = s["description"].as_str() {
        let _ = write!(words, " — {}", d.replace('\n', " "));
    }
    words.replace('|', "\\|")
}

/// The rule behind a pattern, by the constant it comes from.
fn pattern_words(pattern: &str) -> String {
    use tallinn_core::id::Kind;
    let kinds =
        [Kind::Need, Kind::Pledge, Kind::Allocation, Kind::Transaction, Kind::Project, Kind::Milestone, Kind::Agreement, Kind::Announcement, Kind::Proposal];
    if let Some(kind) = kinds.iter().find(|k| k.pattern() == pattern) {
        return format!("{} id (`{}`)", kind.entity(), kind.display(12));
    }
    let named = [
        (tallinn_core::text::PATTERN, "text (no control characters)"),
        (tallinn_core::text::NON_BLANK_PATTERN, "text, not blank"),
        (tallinn_core::participant::CODE_PATTERN, "organisation code (`EE`, `UA-MINDIGIT`)"),
        (tallinn_core::participant::USER_NAME_PATTERN, "user name (`demo.donor`)"),
        (tallinn_core::money::POSITIVE_AMOUNT_PATTERN, "amount above zero (`1250.50`)"),
        (tallinn_core::money::POSITIVE_WHOLE_AMOUNT_PATTERN, "whole amount above zero"),
        (tallinn_core::pledge::UNIT_VALUE_PATTERN, "amount above zero, at most 999,999,999.99"),
        (tallinn_core::need::TAG_PATTERN, "tag (1-40 characters; no spaces, `;` or `,`)"),
        (crate::api::CURSOR_PATTERN, "cursor from the previous page"),
        (crate::api::NAME_CURSOR_PATTERN, "cursor from the previous page"),
        (tallinn_ledger::ALIAS_PATTERN, "alias (2-64 of a-z, 0-9, `-`; not a UUID)"),
    ];
    named.iter().find(|(p, _)| *p == pattern).map(|(_, w)| w.to_string()).unwrap_or_else(|| format!("text matching `{pattern}`"))
}
