//! `switchyard.toml`: one configuration file for data dir, database, listen address, rules, saved
//! queries, logging, connectors and the CRM, with `SWITCHYARD_*` environment overrides.
//!
//! Precedence (lowest first): built-in defaults → the file → environment variables → command-line
//! flags. Every key is documented in `docs/configuration.md`.

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The whole configuration. Unknown keys are errors, so a typo never goes unnoticed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where the embedded database, search index and model files live.
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL instead of the embedded SQLite in `data_dir`.
    pub database_url: Option<String>,
    /// NATS JetStream server for the scale-out ingest log (`publish` and `worker`).
    pub bus_url: Option<String>,
    /// JetStream stream name of the ingest log.
    pub bus_stream: String,
    /// Address `serve` listens on.
    pub listen: SocketAddr,
    /// Routing rules file (TOML). Relative paths are resolved against the config file's folder.
    pub rules: Option<PathBuf>,
    /// Saved listening queries by name (watchlists, share of voice, live filters).
    pub queries: BTreeMap<String, String>,
    pub log: LogConfig,
    pub server: ServerConfig,
    /// Live connectors (`[[connectors]]` tables); see docs/connectors.md.
    pub connectors: Vec<switchyard_connectors::ConnectorConfig>,
    /// Cases, SLA policies, approvals, assignment; see docs/crm.md.
    pub crm: switchyard_crm::CrmConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("switchyard-data"),
            database_url: None,
            bus_url: None,
            bus_stream: "SWITCHYARD".to_string(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            rules: None,
            queries: BTreeMap::new(),
            log: LogConfig::default(),
            server: ServerConfig::default(),
            connectors: Vec::new(),
            crm: switchyard_crm::CrmConfig::default(),
        }
    }
}

/// `[log]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// A tracing filter, e.g. `info` or `switchyard=debug,tower_http=info`.
    pub level: String,
    /// `text` for people, `json` for log shippers.
    pub format: LogFormat,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info,sqlx=error".to_string(),
            format: LogFormat::Text,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// `[server]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Largest request body accepted, in bytes (batch ingest included).
    pub max_body_bytes: usize,
    /// Fixed API tokens for scripts, in addition to the users' own tokens.
    /// Values may be literal, `env:VAR` or `file:/path`.
    pub api_tokens: Vec<ApiTokenConfig>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_body_bytes: 16 * 1024 * 1024,
            api_tokens: Vec::new(),
        }
    }
}

/// One `[[server.api_tokens]]` entry.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiTokenConfig {
    pub name: String,
    pub token: String,
    /// `admin`, `lead`, `agent` or `analyst`.
    pub role: String,
    #[serde(default)]
    pub teams: Vec<String>,
}

impl std::fmt::Debug for ApiTokenConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiTokenConfig")
            .field("name", &self.name)
            .field("token", &"<redacted>")
            .field("role", &self.role)
            .field("teams", &self.teams)
            .finish()
    }
}

/// Resolves a secret written as a literal, `env:VAR` or `file:/path`.
pub fn resolve_secret(value: &str) -> Result<String> {
    if let Some(var) = value.strip_prefix("env:") {
        return std::env::var(var).with_context(|| {
            format!("secret refers to environment variable {var}, which is not set")
        });
    }
    if let Some(path) = value.strip_prefix("file:") {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("secret refers to file {path}, which cannot be read"))?;
        return Ok(text.trim().to_string());
    }
    Ok(value.to_string())
}

impl Config {
    /// Loads `path` if given (it must exist), else `./switchyard.toml` if present, else defaults;
    /// then applies environment overrides.
    pub fn load(path: Option<&Path>) -> Result<(Config, Option<PathBuf>)> {
        let chosen = match path {
            Some(path) => Some(path.to_path_buf()),
            None => {
                let default = PathBuf::from("switchyard.toml");
                default.is_file().then_some(default)
            }
        };
        let mut config = match &chosen {
            Some(path) => {
                let text = std::fs::read_to_string(path).with_context(|| {
                    format!(
                        "cannot read configuration file {}; check the path given to --config",
                        path.display()
                    )
                })?;
                let mut config = Self::parse(&text)
                    .with_context(|| format!("in configuration file {}", path.display()))?;
                if let (Some(rules), Some(folder)) = (&config.rules, path.parent())
                    && rules.is_relative()
                {
                    config.rules = Some(folder.join(rules));
                }
                config
            }
            None => Config::default(),
        };
        config.apply_env(|name| std::env::var(name).ok())?;
        Ok((config, chosen))
    }

    /// Parses configuration text; errors name the line, column and key.
    pub fn parse(text: &str) -> Result<Config> {
        toml::from_str(text).map_err(|error| anyhow::anyhow!("{error}"))
    }

    /// Applies `SWITCHYARD_*` overrides.
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<()> {
        if let Some(dir) = get("SWITCHYARD_DATA_DIR") {
            self.data_dir = PathBuf::from(dir);
        }
        if let Some(url) = get("SWITCHYARD_DATABASE_URL") {
            self.database_url = Some(url);
        }
        if let Some(url) = get("SWITCHYARD_BUS_URL") {
            self.bus_url = Some(url);
        }
        if let Some(listen) = get("SWITCHYARD_LISTEN") {
            self.listen = listen.parse().with_context(|| {
                format!("SWITCHYARD_LISTEN={listen:?} is not an address like 127.0.0.1:8080")
            })?;
        }
        if let Some(rules) = get("SWITCHYARD_RULES") {
            self.rules = Some(PathBuf::from(rules));
        }
        if let Some(level) = get("SWITCHYARD_LOG") {
            self.log.level = level;
        }
        if let Some(format) = get("SWITCHYARD_LOG_FORMAT") {
            self.log.format = match format.as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                other => bail!("SWITCHYARD_LOG_FORMAT={other:?} must be `text` or `json`"),
            };
        }
        Ok(())
    }

    /// The database URL: the configured one, or SQLite inside the data dir.
    pub fn database(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => self.data_dir.display().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_need_no_file() {
        let config = Config::parse("").unwrap();
        assert_eq!(config.data_dir, PathBuf::from("switchyard-data"));
        assert_eq!(config.listen.port(), 8080);
    }

    #[test]
    fn a_typo_names_the_key_and_line() {
        let err = Config::parse("data_dir = \"x\"\nlisten_adress = \"1.2.3.4:5\"\n").unwrap_err();
        let message = format!("{err:#}");
        assert!(message.contains("listen_adress"), "{message}");
        assert!(message.contains("line 2"), "{message}");
    }

    #[test]
    fn environment_overrides_the_file() {
        let mut config = Config::parse("listen = \"127.0.0.1:9000\"").unwrap();
        config
            .apply_env(|name| (name == "SWITCHYARD_LISTEN").then(|| "127.0.0.1:9100".to_string()))
            .unwrap();
        assert_eq!(config.listen.port(), 9100);
    }

    #[test]
    fn bad_override_says_what_is_expected() {
        let mut config = Config::default();
        let err = config
            .apply_env(|name| (name == "SWITCHYARD_LISTEN").then(|| "nowhere".to_string()))
            .unwrap_err();
        assert!(err.to_string().contains("127.0.0.1:8080"));
    }

    #[test]
    fn secrets_resolve_from_env_and_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        std::fs::write(&path, "s3cret\n").unwrap();
        assert_eq!(
            resolve_secret(&format!("file:{}", path.display())).unwrap(),
            "s3cret"
        );
        assert_eq!(resolve_secret("plain").unwrap(), "plain");
        assert!(resolve_secret("env:SWITCHYARD_SURELY_UNSET_VAR").is_err());
    }
}
