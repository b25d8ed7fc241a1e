//! The STIX 2.1 object model: every domain (SDO), cyber-observable (SCO),
//! relationship (SRO) and meta object type of the specification, each with
//! typed read access to its properties.
//!
//! An [`Object`] keeps the JSON it was read from — every property, unknown
//! and custom ones included, with its value untouched — so that a round trip
//! through serde gives back the same values; a typed view ([`Object::typed`])
//! reads properties from it on demand instead of copying them into structs
//! that would drop or rewrite what they do not know (a timestamp written
//! `...00.000Z` stays so). The per-type property tables are also what
//! validation checks value kinds against ([`Object::mistyped`]).

use crate::timestamp::StixTime;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The four kinds of STIX object, and what the specification does not define.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// STIX Domain Objects (§4).
    Domain,
    /// STIX Cyber-observable Objects (§6): no `created`/`modified`.
    CyberObservable,
    /// STIX Relationship Objects (§5).
    Relationship,
    /// Language content, marking and extension definitions (§7).
    Meta,
    /// A type the specification does not define (a custom object).
    Custom,
}

impl Category {
    /// Domain, relationship and meta objects are versioned: they carry
    /// `spec_version`, `created` and `modified` (cyber observables do not).
    pub fn is_versioned(self) -> bool {
        matches!(self, Category::Domain | Category::Relationship | Category::Meta)
    }
}

/// One STIX object, kept as received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Object {
    properties: Map<String, Value>,
}

impl From<Map<String, Value>> for Object {
    fn from(properties: Map<String, Value>) -> Self {
        Object { properties }
    }
}

impl Object {
    /// Every property as received.
    pub fn properties(&self) -> &Map<String, Value> {
        &self.properties
    }

    pub fn into_properties(self) -> Map<String, Value> {
        self.properties
    }

    pub fn get(&self, property: &str) -> Option<&Value> {
        self.properties.get(property)
    }

    pub fn object_type(&self) -> Option<&str> {
        text(&self.properties, "type")
    }

    pub fn id(&self) -> Option<&str> {
        text(&self.properties, "id")
    }

    pub fn spec_version(&self) -> Option<&str> {
        text(&self.properties, "spec_version")
    }

    pub fn created(&self) -> Option<StixTime> {
        time(&self.properties, "created")
    }

    pub fn modified(&self) -> Option<StixTime> {
        time(&self.properties, "modified")
    }

    pub fn created_by_ref(&self) -> Option<&str> {
        text(&self.properties, "created_by_ref")
    }

    pub fn revoked(&self) -> Option<bool> {
        boolean(&self.properties, "revoked")
    }

    pub fn labels(&self) -> Option<Vec<&str>> {
        texts(&self.properties, "labels")
    }

    pub fn confidence(&self) -> Option<i64> {
        int(&self.properties, "confidence")
    }

    pub fn lang(&self) -> Option<&str> {
        text(&self.properties, "lang")
    }

    pub fn external_references(&self) -> Option<&Vec<Value>> {
        self.properties.get("external_references")?.as_array()
    }

    pub fn object_marking_refs(&self) -> Option<Vec<&str>> {
        texts(&self.properties, "object_marking_refs")
    }

    pub fn granular_markings(&self) -> Option<&Vec<Value>> {
        self.properties.get("granular_markings")?.as_array()
    }

    pub fn extensions(&self) -> Option<&Map<String, Value>> {
        self.properties.get("extensions")?.as_object()
    }

    /// Properties whose names begin with `x_` (STIX 2.0-style custom
    /// properties, still accepted by 2.1).
    pub fn custom_properties(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.properties.iter().filter(|(k, _)| k.starts_with("x_")).map(|(k, v)| (k.as_str(), v))
    }

    pub fn category(&self) -> Category {
        self.object_type().map_or(Category::Custom, category)
    }

    /// The typed view of this object's type.
    pub fn typed(&self) -> Typed<'_> {
        Typed::of(&self.properties)
    }

    /// The properties this object's type defines that hold a value of the
    /// wrong kind, each with the kind expected ("a timestamp", "a list of
    /// strings"...). Custom types have none.
    pub fn mistyped(&self) -> Vec<(&'static str, &'static str)> {
        mistyped(&self.properties)
    }
}

/// How a property's value is read, and what it must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Texts,
    Time,
    Int,
    Float,
    Bool,
    List,
    Dict,
}

impl Kind {
    fn holds(self, v: &Value) -> bool {
        match self {
            Kind::Text => v.is_string(),
            Kind::Texts => v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
            Kind::Time => v.as_str().and_then(parse_time).is_some(),
            Kind::Int => v.is_i64() || v.is_u64(),
            Kind::Float => v.is_number(),
            Kind::Bool => v.is_boolean(),
            Kind::List => v.is_array(),
            Kind::Dict => v.is_object(),
        }
    }

    fn expected(self) -> &'static str {
        match self {
            Kind::Text => "a string",
            Kind::Texts => "a list of strings",
            Kind::Time => "an RFC 3339 UTC timestamp",
            Kind::Int => "an integer",
            Kind::Float => "a number",
            Kind::Bool => "true or false",
            Kind::List => "a list",
            Kind::Dict => "a dictionary",
        }
    }
}

fn parse_time(s: &str) -> Option<StixTime> {
    StixTime::parse(s).ok()
}

fn text<'a>(m: &'a Map<String, Value>, p: &str) -> Option<&'a str> {
    m.get(p)?.as_str()
}

fn texts<'a>(m: &'a Map<String, Value>, p: &str) -> Option<Vec<&'a str>> {
    m.get(p)?.as_array()?.iter().map(Value::as_str).collect()
}

fn time(m: &Map<String, Value>, p: &str) -> Option<StixTime> {
    parse_time(m.get(p)?.as_str()?)
}

fn int(m: &Map<String, Value>, p: &str) -> Option<i64> {
    m.get(p)?.as_i64()
}

fn float(m: &Map<String, Value>, p: &str) -> Option<f64> {
    m.get(p)?.as_f64()
}

fn boolean(m: &Map<String, Value>, p: &str) -> Option<bool> {
    m.get(p)?.as_bool()
}

fn list<'a>(m: &'a Map<String, Value>, p: &str) -> Option<&'a Vec<Value>> {
    m.get(p)?.as_array()
}

fn dict<'a>(m: &'a Map<String, Value>, p: &str) -> Option<&'a Map<String, Value>> {
    m.get(p)?.as_object()
}

/// A property's name in JSON (`abstract` is a Rust keyword).
macro_rules! property_name {
    (r#abstract) => {
        "abstract"
    };
    ($p:ident) => {
        stringify!($p)
    };
}

/// The Rust type an accessor of each kind returns.
macro_rules! kind_type {
    (Text) => { &'a str };
    (Texts) => { Vec<&'a str> };
    (Time) => { StixTime };
    (Int) => { i64 };
    (Float) => { f64 };
    (Bool) => { bool };
    (List) => { &'a Vec<Value> };
    (Dict) => { &'a Map<String, Value> };
}

macro_rules! kind_read {
    (Text, $m:expr, $p:expr) => {
        text($m, $p)
    };
    (Texts, $m:expr, $p:expr) => {
        texts($m, $p)
    };
    (Time, $m:expr, $p:expr) => {
        time($m, $p)
    };
    (Int, $m:expr, $p:expr) => {
        int($m, $p)
    };
    (Float, $m:expr, $p:expr) => {
        float($m, $p)
    };
    (Bool, $m:expr, $p:expr) => {
        boolean($m, $p)
    };
    (List, $m:expr, $p:expr) => {
        list($m, $p)
    };
    (Dict, $m:expr, $p:expr) => {
        dict($m, $p)
    };
}

/// Declares every type: its view (a struct of accessors, one per property
/// the specification defines beyond the common ones), its variant of
/// [`Typed`], its category, and the property table validation uses.
macro_rules! stix_types {
    ($( $view:ident $type_name:literal $category:ident { $($prop:ident: $kind:ident),* $(,)? } )*) => {
        $(
            #[doc = concat!("The `", $type_name, "` object.")]
            #[derive(Debug, Clone, Copy)]
            pub struct $view<'a>(&'a Map<String, Value>);

            impl<'a> $view<'a> {
                $(
                    #[doc = concat!("`", property_name!($prop), "`")]
                    pub fn $prop(&self) -> Option<kind_type!($kind)> {
                        kind_read!($kind, self.0, property_name!($prop))
                    }
                )*
            }
        )*

        /// An object seen through the view of its type.
        #[derive(Debug, Clone, Copy)]
        pub enum Typed<'a> {
            $( $view($view<'a>), )*
            /// A type the specification does not define.
            Custom(&'a Map<String, Value>),
        }

        impl<'a> Typed<'a> {
            fn of(m: &'a Map<String, Value>) -> Typed<'a> {
                match text(m, "type") {
                    $( Some($type_name) => Typed::$view($view(m)), )*
                    _ => Typed::Custom(m),
                }
            }
        }

        /// The category of a type name.
        pub fn category(object_type: &str) -> Category {
            match object_type {
                $( $type_name => Category::$category, )*
                _ => Category::Custom,
            }
        }

        /// Every type of the specification, with its category.
        pub const TYPES: &[(&str, Category)] = &[ $( ($type_name, Category::$category), )* ];

        /// The properties a type defines beyond the common ones, with their kinds.
        fn properties_of(object_type: &str) -> &'static [(&'static str, Kind)] {
            match object_type {
                $( $type_name => &[ $( (property_name!($prop), Kind::$kind), )* ], )*
                _ => &[],
            }
        }
    };
}

/// Common properties every type shares (§3.2), with their kinds.
const COMMON: &[(&str, Kind)] = &[
    ("type", Kind::Text),
    ("spec_version", Kind::Text),
    ("id", Kind::Text),
    ("created_by_ref", Kind::Text),
    ("created", Kind::Time),
    ("modified", Kind::Time),
    ("revoked", Kind::Bool),
    ("labels", Kind::Texts),
    ("confidence", Kind::Int),
    ("lang", Kind::Text),
    ("external_references", Kind::List),
    ("object_marking_refs", Kind::Texts),
    ("granular_markings", Kind::List),
    ("extensions", Kind::Dict),
    ("defanged", Kind::Bool),
];

pub(crate) fn mistyped(m: &Map<String, Value>) -> Vec<(&'static str, &'static str)> {
    let own = text(m, "type").map_or(&[][..], properties_of);
    COMMON.iter().chain(own).filter(|(p, kind)| m.get(*p).is_some_and(|v| !kind.holds(v))).map(|(p, kind)| (*p, kind.expected())).collect()
}

stix_types! {
    // Domain objects (§4).
    AttackPattern "attack-pattern" Domain { name: Text, description: Text, aliases: Texts, kill_chain_phases: List }
    Campaign "campaign" Domain { name: Text, description: Text, aliases: Texts, first_seen: Time, last_seen: Time, objective: Text }
    CourseOfAction "course-of-action" Domain { name: Text, description: Text }
    Grouping "grouping" Domain { name: Text, description: Text, context: Text, object_refs: Texts }
    Identity "identity" Domain { name: Text, description: Text, roles: Texts, identity_class: Text, sectors: Texts, contact_information: Text }
    Incident "incident" Domain { name: Text, description: Text, kill_chain_phases: List }
    Indicator "indicator" Domain {
        name: Text, description: Text, indicator_types: Texts, pattern: Text, pattern_type: Text, pattern_version: Text,
        valid_from: Time, valid_until: Time, kill_chain_phases: List,
    }
    Infrastructure "infrastructure" Domain {
        name: Text, description: Text, infrastructure_types: Texts, aliases: Texts, kill_chain_phases: List, first_seen: Time, last_seen: Time,
    }
    IntrusionSet "intrusion-set" Domain {
        name: Text, description: Text, aliases: Texts, first_seen: Time, last_seen: Time, goals: Texts, resource_level: Text,
        primary_motivation: Text, secondary_motivations: Texts,
    }
    Location "location" Domain {
        name: Text, description: Text, latitude: Float, longitude: Float, precision: Float, region: Text, country: Text,
        administrative_area: Text, city: Text, street_address: Text, postal_code: Text,
    }
    Malware "malware" Domain {
        name: Text, description: Text, malware_types: Texts, is_family: Bool, aliases: Texts, kill_chain_phases: List, first_seen: Time,
        last_seen: Time, operating_system_refs: Texts, architecture_execution_envs: Texts, implementation_languages: Texts,
        capabilities: Texts, sample_refs: Texts,
    }
    MalwareAnalysis "malware-analysis" Domain {
        product: Text, version: Text, host_vm_ref: Text, operating_system_ref: Text, installed_software_refs: Texts,
        configuration_version: Text, modules: Texts, analysis_engine_version: Text, analysis_definition_version: Text, submitted: Time,
        analysis_started: Time, analysis_ended: Time, result_name: Text, result: Text, analysis_sco_refs: Texts, sample_ref: Text,
    }
    Note "note" Domain { r#abstract: Text, content: Text, authors: Texts, object_refs: Texts }
    ObservedData "observed-data" Domain { first_observed: Time, last_observed: Time, number_observed: Int, objects: Dict, object_refs: Texts }
    Opinion "opinion" Domain { explanation: Text, authors: Texts, opinion: Text, object_refs: Texts }
    Report "report" Domain { name: Text, description: Text, report_types: Texts, published: Time, object_refs: Texts }
    ThreatActor "threat-actor" Domain {
        name: Text, description: Text, threat_actor_types: Texts, aliases: Texts, first_seen: Time, last_seen: Time, roles: Texts,
        goals: Texts, sophistication: Text, resource_level: Text, primary_motivation: Text, secondary_motivations: Texts,
        personal_motivations: Texts,
    }
    Tool "tool" Domain { name: Text, description: Text, tool_types: Texts, aliases: Texts, kill_chain_phases: List, tool_version: Text }
    Vulnerability "vulnerability" Domain { name: Text, description: Text }

    // Relationship objects (§5).
    Relationship "relationship" Relationship {
        relationship_type: Text, description: Text, source_ref: Text, target_ref: Text, start_time: Time, stop_time: Time,
    }
    Sighting "sighting" Relationship {
        description: Text, first_seen: Time, last_seen: Time, count: Int, sighting_of_ref: Text, observed_data_refs: Texts,
        where_sighted_refs: Texts, summary: Bool,
    }

    // Cyber-observable objects (§6).
    Artifact "artifact" CyberObservable {
        mime_type: Text, payload_bin: Text, url: Text, hashes: Dict, encryption_algorithm: Text, decryption_key: Text,
    }
    AutonomousSystem "autonomous-system" CyberObservable { number: Int, name: Text, rir: Text }
    Directory "directory" CyberObservable { path: Text, path_enc: Text, ctime: Time, mtime: Time, atime: Time, contains_refs: Texts }
    DomainName "domain-name" CyberObservable { value: Text, resolves_to_refs: Texts }
    EmailAddr "email-addr" CyberObservable { value: Text, display_name: Text, belongs_to_ref: Text }
    EmailMessage "email-message" CyberObservable {
        is_multipart: Bool, date: Time, content_type: Text, from_ref: Text, sender_ref: Text, to_refs: Texts, cc_refs: Texts,
        bcc_refs: Texts, message_id: Text, subject: Text, received_lines: Texts, additional_header_fields: Dict, body: Text,
        body_multipart: List, raw_email_ref: Text,
    }
    File "file" CyberObservable {
        hashes: Dict, size: Int, name: Text, name_enc: Text, magic_number_hex: Text, mime_type: Text, ctime: Time, mtime: Time,
        atime: Time, parent_directory_ref: Text, contains_refs: Texts, content_ref: Text,
    }
    Ipv4Addr "ipv4-addr" CyberObservable { value: Text, resolves_to_refs: Texts, belongs_to_refs: Texts }
    Ipv6Addr "ipv6-addr" CyberObservable { value: Text, resolves_to_refs: Texts, belongs_to_refs: Texts }
    MacAddr "mac-addr" CyberObservable { value: Text }
    Mutex "mutex" CyberObservable { name: Text }
    NetworkTraffic "network-traffic" CyberObservable {
        start: Time, end: Time, is_active: Bool, src_ref: Text, dst_ref: Text, src_port: Int, dst_port: Int, protocols: Texts,
        src_byte_count: Int, dst_byte_count: Int, src_packets: Int, dst_packets: Int, ipfix: Dict, src_payload_ref: Text,
        dst_payload_ref: Text, encapsulates_refs: Texts, encapsulated_by_ref: Text,
    }
    Process "process" CyberObservable {
        is_hidden: Bool, pid: Int, created_time: Time, cwd: Text, command_line: Text, environment_variables: Dict,
        opened_connection_refs: Texts, creator_user_ref: Text, image_ref: Text, parent_ref: Text, child_refs: Texts,
    }
    Software "software" CyberObservable { name: Text, cpe: Text, swid: Text, languages: Texts, vendor: Text, version: Text }
    Url "url" CyberObservable { value: Text }
    UserAccount "user-account" CyberObservable {
        user_id: Text, credential: Text, account_login: Text, account_type: Text, display_name: Text, is_service_account: Bool,
        is_privileged: Bool, can_escalate_privs: Bool, is_disabled: Bool, account_created: Time, account_expires: Time,
        credential_last_changed: Time, account_first_login: Time, account_last_login: Time,
    }
    WindowsRegistryKey "windows-registry-key" CyberObservable {
        key: Text, values: List, modified_time: Time, creator_user_ref: Text, number_of_subkeys: Int,
    }
    X509Certificate "x509-certificate" CyberObservable {
        is_self_signed: Bool, hashes: Dict, version: Text, serial_number: Text, signature_algorithm: Text, issuer: Text,
        validity_not_before: Time, validity_not_after: Time, subject: Text, subject_public_key_algorithm: Text,
        subject_public_key_modulus: Text, subject_public_key_exponent: Int, x509_v3_extensions: Dict,
    }

    // Meta objects (§7).
    LanguageContent "language-content" Meta { object_ref: Text, object_modified: Time, contents: Dict }
    MarkingDefinition "marking-definition" Meta { name: Text, definition_type: Text, definition: Dict }
    ExtensionDefinition "extension-definition" Meta {
        name: Text, description: Text, schema: Text, version: Text, extension_types: Texts, extension_properties: Texts,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(v: Value) -> Object {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn an_indicator_reads_through_its_view() {
        let o = object(json!({
            "type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-02T00:00:00Z", "pattern": "[ipv4-addr:value = '10.0.0.1']",
            "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z", "indicator_types": ["malicious-activity"], "x_tallinn_share_orgs": ["UA"]
        }));
        assert_eq!(o.category(), Category::Domain);
        assert_eq!(o.modified(), Some("2026-01-02T00:00:00Z".parse().unwrap()));
        let Typed::Indicator(i) = o.typed() else { panic!("not an indicator view") };
        assert_eq!(i.pattern(), Some("[ipv4-addr:value = '10.0.0.1']"));
        assert_eq!(i.indicator_types(), Some(vec!["malicious-activity"]));
        assert_eq!(i.valid_until(), None);
        assert_eq!(o.custom_properties().map(|(k, _)| k).collect::<Vec<_>>(), ["x_tallinn_share_orgs"]);
        assert!(o.mistyped().is_empty());
    }

    #[test]
    fn values_of_the_wrong_kind_are_named() {
        let o = object(json!({
            "type": "network-traffic", "id": "network-traffic--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "src_port": "80", "protocols": ["tcp", 6], "start": "2026-01-01 00:00:00", "is_active": true, "labels": "x"
        }));
        let mut got = o.mistyped();
        got.sort();
        assert_eq!(
            got,
            [("labels", "a list of strings"), ("protocols", "a list of strings"), ("src_port", "an integer"), ("start", "an RFC 3339 UTC timestamp")]
        );
        let Typed::NetworkTraffic(n) = o.typed() else { panic!("not a network-traffic view") };
        assert_eq!((n.src_port(), n.is_active(), n.protocols()), (None, Some(true), None), "a mistyped value reads as absent");
    }

    #[test]
    fn every_type_has_one_category_and_custom_types_have_none() {
        assert_eq!(TYPES.len(), 19 + 2 + 18 + 3);
        for (t, c) in TYPES {
            assert_eq!(TYPES.iter().filter(|(u, _)| u == t).count(), 1, "{t} declared twice");
            assert_eq!(category(t), *c);
        }
        assert_eq!(category("x-tallinn-need"), Category::Custom);
        assert!(matches!(object(json!({"type": "x-tallinn-need", "anything": 1})).typed(), Typed::Custom(_)));
        assert_eq!(category("ipv4-addr"), Category::CyberObservable);
        assert_eq!(category("sighting"), Category::Relationship);
        assert_eq!(category("marking-definition"), Category::Meta);
    }

    #[test]
    fn a_keyword_property_reads_by_its_json_name() {
        let o = object(json!({"type": "note", "abstract": "Summary", "content": "Body", "object_refs": []}));
        let Typed::Note(n) = o.typed() else { panic!("not a note view") };
        assert_eq!((n.r#abstract(), n.content()), (Some("Summary"), Some("Body")));
        assert!(object(json!({"type": "note", "abstract": 1})).mistyped().contains(&("abstract", "a string")));
    }

    #[test]
    fn a_round_trip_keeps_every_value() {
        let v = json!({"type": "file", "id": "file--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "size": 12, "x_custom": {"deep": [1, 2.5, null]},
                       "ctime": "2026-01-01T00:00:00.000Z", "unknown_property": "kept"});
        let o = object(v.clone());
        assert_eq!(serde_json::to_value(&o).unwrap(), v);
    }

    /// Every object of the OASIS example bundles: its type is known, every
    /// property its type defines has the declared kind, and it comes back
    /// from a round trip with every value.
    #[test]
    fn the_oasis_examples_fit_the_model() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/stix");
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{dir}: {e}"));
        let mut seen = std::collections::BTreeSet::new();
        for path in entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "json")) {
            let document: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            // A bundle, or (one example) a single object.
            let objects = document.get("objects").and_then(Value::as_array).cloned().unwrap_or_else(|| vec![document.clone()]);
            for v in &objects {
                let o: Object = serde_json::from_value(v.clone()).unwrap();
                let t = o.object_type().unwrap().to_string();
                assert_ne!(o.category(), Category::Custom, "{}: {t} is not in the model", path.display());
                assert!(!matches!(o.typed(), Typed::Custom(_)));
                assert!(o.mistyped().is_empty(), "{}: {} {:?}", path.display(), o.id().unwrap(), o.mistyped());
                assert_eq!(&serde_json::to_value(&o).unwrap(), v);
                seen.insert(t);
            }
        }
        assert!(seen.len() >= 10, "the examples cover {seen:?}");
    }
}
