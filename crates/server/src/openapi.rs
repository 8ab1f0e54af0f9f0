//! The OpenAPI 3.1 document served at `/api/v1/openapi.json`, assembled from what each API module
//! declares next to its handlers (`describe(&mut ApiDoc)`), so routes and documentation sit together.
//! A test walks every documented operation against the live router.

use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Public,
    /// Any signed-in role.
    Read,
    /// Any role but analyst.
    Write,
    /// Lead or admin.
    Lead,
    Admin,
}

impl Access {
    fn describe(self) -> &'static str {
        match self {
            Access::Public => "No authentication.",
            Access::Read => "Any signed-in user (admin, lead, agent, analyst).",
            Access::Write => "Admin, lead or agent (analysts are read-only).",
            Access::Lead => "Lead or admin.",
            Access::Admin => "Admin only.",
        }
    }
}

/// One documented operation.
#[derive(Debug, Clone)]
pub struct Operation {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    pub tag: &'static str,
    pub access: Access,
    pub params: Vec<(&'static str, &'static str, &'static str)>, // (in, name, description)
    pub body: Option<&'static str>,                              // schema name
    pub response: Option<&'static str>,                          // schema name
}

/// The document under construction.
#[derive(Debug, Default)]
pub struct ApiDoc {
    operations: Vec<Operation>,
    schemas: BTreeMap<&'static str, Value>,
}

impl ApiDoc {
    /// Declares an operation; chain `.query(..)`, `.body(..)`, `.returns(..)` on the result.
    pub fn op(
        &mut self,
        method: &'static str,
        path: &'static str,
        tag: &'static str,
        access: Access,
        summary: &'static str,
    ) -> &mut Operation {
        let params = path
            .split('/')
            .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
            .map(|name| ("path", name, "identifier"))
            .collect();
        self.operations.push(Operation {
            method,
            path,
            summary,
            tag,
            access,
            params,
            body: None,
            response: None,
        });
        self.operations.last_mut().expect("just pushed")
    }

    /// Declares a named JSON schema (referenced as `#/components/schemas/<name>`).
    pub fn schema(&mut self, name: &'static str, schema: Value) {
        self.schemas.insert(name, schema);
    }

    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// Renders the OpenAPI 3.1 JSON.
    pub fn to_json(&self) -> Value {
        let mut paths: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
        for op in &self.operations {
            let parameters: Vec<Value> = op
                .params
                .iter()
                .map(|(location, name, description)| {
                    json!({
                        "name": name, "in": location, "description": description,
                        "required": *location == "path", "schema": {"type": "string"}
                    })
                })
                .collect();
            let mut responses = Map::new();
            let ok = match op.response {
                Some(schema) => json!({"description": "OK", "content": {"application/json": {
                    "schema": {"$ref": format!("#/components/schemas/{schema}")}}}}),
                None => json!({"description": "OK"}),
            };
            responses.insert("200".into(), ok);
            let error = json!({"description": "Error", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Error"}}}});
            if op.access != Access::Public {
                responses.insert("401".into(), error.clone());
                responses.insert("403".into(), error.clone());
            }
            responses.insert("400".into(), error);
            let mut operation = json!({
                "summary": op.summary,
                "description": op.access.describe(),
                "tags": [op.tag],
                "parameters": parameters,
                "responses": responses,
            });
            if op.access != Access::Public {
                operation["security"] = json!([{"bearer": []}, {"session": []}]);
            }
            if let Some(schema) = op.body {
                operation["requestBody"] = json!({"required": true, "content": {"application/json": {
                    "schema": {"$ref": format!("#/components/schemas/{schema}")}}}});
            }
            paths
                .entry(op.path)
                .or_default()
                .insert(op.method.to_string(), operation);
        }
        let mut schemas: Map<String, Value> = self
            .schemas
            .iter()
            .map(|(name, schema)| (name.to_string(), schema.clone()))
            .collect();
        schemas.insert(
            "Error".into(),
            json!({"type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "required": ["code", "message"], "properties": {
                    "code": {"type": "string", "enum": ["bad_request", "invalid_query", "unauthenticated",
                        "forbidden", "not_found", "conflict", "payload_too_large", "internal", "unavailable"]},
                    "message": {"type": "string"}}}}}),
        );
        json!({
            "openapi": "3.1.0",
            "info": {
                "title": "Switchyard API",
                "version": env!("CARGO_PKG_VERSION"),
                "description": "Social listening and customer-engagement command center. Every endpoint but /health and this document needs a bearer token or a session cookie. Errors always have the shape {\"error\": {\"code\", \"message\"}}."
            },
            "paths": paths,
            "components": {
                "schemas": schemas,
                "securitySchemes": {
                    "bearer": {"type": "http", "scheme": "bearer"},
                    "session": {"type": "apiKey", "in": "cookie", "name": "switchyard_session"}
                }
            }
        })
    }
}

impl Operation {
    pub fn query(&mut self, name: &'static str, description: &'static str) -> &mut Self {
        self.params.push(("query", name, description));
        self
    }

    pub fn body(&mut self, schema: &'static str) -> &mut Self {
        self.body = Some(schema);
        self
    }

    pub fn returns(&mut self, schema: &'static str) -> &mut Self {
        self.response = Some(schema);
        self
    }
}
