//! Secrets in configuration: a literal, `env:VAR` or `file:/path`, resolved once and never printed.

use serde::{Deserialize, Deserializer};
use std::fmt;

/// A credential taken from the configuration. `Debug` and `Display` print `[redacted]`, so a
/// secret never reaches a log line or an error message by accident; call [`Secret::expose`] only
/// at the moment the value goes on the wire.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

/// Why a secret reference in the configuration could not be resolved.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    #[error(
        "environment variable {0} (named by `env:{0}` in the configuration) is not set or not UTF-8; export it before starting, or use a literal or `file:/path` secret"
    )]
    MissingEnv(String),
    #[error(
        "cannot read secret file {path} (named by `file:{path}` in the configuration): {reason}; check the path and that the switchyard user may read it"
    )]
    UnreadableFile { path: String, reason: String },
    #[error(
        "secret reference `{0}` resolved to an empty value; put the credential there or remove the setting"
    )]
    Empty(String),
}

impl Secret {
    /// A secret whose value is given directly (tests, programmatic configuration).
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// Resolves a configuration value: `env:NAME` reads the environment, `file:/path` reads a
    /// file (trailing newline trimmed), anything else is taken literally.
    pub fn resolve(spec: &str) -> Result<Self, SecretError> {
        let value = if let Some(name) = spec.strip_prefix("env:") {
            let name = name.trim();
            std::env::var(name).map_err(|_| SecretError::MissingEnv(name.to_string()))?
        } else if let Some(path) = spec.strip_prefix("file:") {
            let path = path.trim();
            let raw =
                std::fs::read_to_string(path).map_err(|error| SecretError::UnreadableFile {
                    path: path.to_string(),
                    reason: error.to_string(),
                })?;
            raw.trim_end_matches(['\r', '\n']).to_string()
        } else {
            spec.to_string()
        };
        if value.is_empty() {
            let shown = if spec.starts_with("env:") || spec.starts_with("file:") {
                spec.to_string()
            } else {
                "(literal)".to_string()
            };
            return Err(SecretError::Empty(shown));
        }
        Ok(Secret(value))
    }

    /// The secret's value, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spec = String::deserialize(deserializer)?;
        Secret::resolve(&spec).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let secret = Secret::new("hunter2");
        assert!(!format!("{secret:?}").contains("hunter2"));
        assert!(!format!("{secret}").contains("hunter2"));
        assert_eq!(secret.expose(), "hunter2");
    }

    #[test]
    fn file_secrets_are_read_and_trimmed() {
        let dir = std::env::temp_dir().join(format!("switchyard-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("token");
        std::fs::write(&path, "abc123\n").unwrap();
        let secret = Secret::resolve(&format!("file:{}", path.display())).unwrap();
        assert_eq!(secret.expose(), "abc123");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_sources_say_what_to_do() {
        let error = Secret::resolve("env:SWITCHYARD_SURELY_NOT_SET_12345").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("SWITCHYARD_SURELY_NOT_SET_12345")
        );
        assert!(error.to_string().contains("export"));
        let error = Secret::resolve("file:/nonexistent/switchyard/secret").unwrap_err();
        assert!(error.to_string().contains("/nonexistent/switchyard/secret"));
        assert!(matches!(Secret::resolve(""), Err(SecretError::Empty(_))));
    }

    #[test]
    fn deserializes_from_a_config_string_and_hides_it_in_errors() {
        #[derive(Deserialize, Debug)]
        struct Config {
            token: Secret,
        }
        let config: Config = toml_like(r#"{"token":"literal-value"}"#);
        assert_eq!(config.token.expose(), "literal-value");
        assert!(!format!("{config:?}").contains("literal-value"));
    }

    fn toml_like<T: serde::de::DeserializeOwned>(json: &str) -> T {
        serde_json::from_str(json).unwrap()
    }
}
