//! Surveys: CSAT (1–5) and NPS (0–10) responses, recorded through the API or imported from CSV,
//! linked to the case and customer they belong to, and compared with what the same customers say
//! in public (their posts' sentiment).

use crate::access::{Action, Actor, Resource, authorize};
use crate::audit::{self, Change};
use crate::error::{CrmError, CrmResult};
use crate::{Crm, from_ms, to_ms, vals};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Which survey.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SurveyKind {
    /// Customer satisfaction, 1–5.
    Csat,
    /// Net promoter score, 0–10.
    Nps,
}

impl SurveyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SurveyKind::Csat => "csat",
            SurveyKind::Nps => "nps",
        }
    }

    pub fn range(self) -> (i64, i64) {
        match self {
            SurveyKind::Csat => (1, 5),
            SurveyKind::Nps => (0, 10),
        }
    }

    fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "csat" => Ok(SurveyKind::Csat),
            "nps" => Ok(SurveyKind::Nps),
            other => Err(format!(
                "unknown survey kind {other:?}; expected csat or nps"
            )),
        }
    }
}

/// A response to record.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSurvey {
    pub kind: SurveyKind,
    pub score: i64,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub case_id: Option<i64>,
    /// Taken from the case when absent.
    #[serde(default)]
    pub customer_id: Option<i64>,
    #[serde(default)]
    pub responded_at: Option<DateTime<Utc>>,
    /// The survey tool's id of the response; importing it twice adds it once.
    #[serde(default)]
    pub external_ref: Option<String>,
}

/// A recorded response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurveyResponse {
    pub id: i64,
    pub kind: SurveyKind,
    pub score: i64,
    pub comment: String,
    pub case_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub source: String,
    pub external_ref: Option<String>,
    pub responded_at: DateTime<Utc>,
}

/// What a CSV import did; rows with problems are listed, the others imported.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImportReport {
    pub imported: usize,
    /// Rows whose `external_ref` was imported before.
    pub duplicates: usize,
    pub errors: Vec<ImportError>,
}

/// A CSV row that could not be imported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportError {
    /// 1-based line number in the file (the header is line 1).
    pub line: u64,
    pub message: String,
}

/// One customer's survey answers next to their public sentiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurveyVsSocial {
    pub customer_id: i64,
    pub display_name: String,
    pub csat_average: Option<f64>,
    pub nps_average: Option<f64>,
    pub responses: i64,
    /// Mean VADER compound of the customer's posts.
    pub sentiment_average: Option<f64>,
    pub posts: i64,
}

/// The comparison: per customer, and how well the two agree overall.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurveyComparison {
    pub customers: Vec<SurveyVsSocial>,
    /// Pearson correlation of CSAT average and sentiment average over customers having both.
    pub csat_sentiment_correlation: Option<f64>,
    /// The same for NPS.
    pub nps_sentiment_correlation: Option<f64>,
}

/// Pearson correlation; `None` with fewer than three pairs or no variance.
pub fn pearson(pairs: &[(f64, f64)]) -> Option<f64> {
    if pairs.len() < 3 {
        return None;
    }
    let n = pairs.len() as f64;
    let mean_x = pairs.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = pairs.iter().map(|p| p.1).sum::<f64>() / n;
    let mut cov = 0.0;
    let mut var_x = 0.0;
    let mut var_y = 0.0;
    for (x, y) in pairs {
        cov += (x - mean_x) * (y - mean_y);
        var_x += (x - mean_x).powi(2);
        var_y += (y - mean_y).powi(2);
    }
    if var_x == 0.0 || var_y == 0.0 {
        return None;
    }
    Some(cov / (var_x.sqrt() * var_y.sqrt()))
}

fn parse_optional_id(field: &str, text: &str) -> Result<Option<i64>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<i64>()
        .map(Some)
        .map_err(|_| format!("{field} {text:?} is not a number"))
}

impl Crm {
    /// Records one response (leads and admins; survey tools use an API token of such a user).
    pub async fn record_survey(
        &self,
        actor: Option<&Actor>,
        new: &NewSurvey,
    ) -> CrmResult<SurveyResponse> {
        authorize(actor, Action::Write, Resource::Surveys)?;
        match self
            .insert_survey(actor.map(|a| a.user_id), new, "api")
            .await?
        {
            Some(response) => Ok(response),
            None => Err(CrmError::Conflict(format!(
                "a response with external_ref {:?} was recorded before",
                new.external_ref
            ))),
        }
    }

    async fn insert_survey(
        &self,
        actor_id: Option<i64>,
        new: &NewSurvey,
        source: &str,
    ) -> CrmResult<Option<SurveyResponse>> {
        let (low, high) = new.kind.range();
        if new.score < low || new.score > high {
            return Err(CrmError::Invalid(format!(
                "a {} score must be between {low} and {high}; got {}",
                new.kind.as_str(),
                new.score
            )));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if let Some(reference) = &new.external_ref
            && tx
                .fetch_optional(
                    "SELECT id FROM crm_surveys WHERE external_ref = $1",
                    &vals![reference.as_str()],
                )
                .await?
                .is_some()
        {
            return Ok(None);
        }
        let mut customer_id = new.customer_id;
        if let Some(case_id) = new.case_id {
            let case = crate::cases::load_case_tx(&mut tx, case_id).await?;
            if customer_id.is_none() {
                customer_id = case.customer_id;
            }
        }
        if let Some(id) = customer_id {
            crate::customers::load_customer_row(&mut tx, id).await?;
        }
        let responded_at = new.responded_at.unwrap_or(now);
        let comment = new.comment.clone().unwrap_or_default();
        let id = tx
            .insert_returning_id(
                "INSERT INTO crm_surveys (kind, score, comment, case_id, customer_id, source, external_ref, responded_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                &vals![new.kind.as_str(), new.score, comment.as_str(), new.case_id, customer_id, source, new.external_ref.clone(), to_ms(responded_at), to_ms(now)],
            )
            .await?;
        let data = json!({"survey_id": id, "kind": new.kind, "score": new.score, "source": source});
        if let Some(case_id) = new.case_id {
            crate::cases::add_event(
                &mut tx,
                case_id,
                now,
                actor_id,
                "survey_received",
                data.clone(),
            )
            .await?;
        }
        audit::record(
            &mut tx,
            now,
            Change {
                actor_id,
                action: "survey.recorded",
                entity: "survey",
                entity_id: Some(id),
                case_id: new.case_id,
                customer_id,
                after: Some(data),
                ..Change::default()
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Some(SurveyResponse {
            id,
            kind: new.kind,
            score: new.score,
            comment,
            case_id: new.case_id,
            customer_id,
            source: source.to_string(),
            external_ref: new.external_ref.clone(),
            responded_at,
        }))
    }

    /// Imports responses from CSV with a header row naming some of: `kind` (required), `score`
    /// (required), `case_id`, `customer_id`, `comment`, `responded_at` (RFC 3339), `external_ref`.
    /// Good rows are imported even when others fail; every failure is reported with its line.
    pub async fn import_surveys_csv(
        &self,
        actor: Option<&Actor>,
        csv_text: &str,
    ) -> CrmResult<ImportReport> {
        authorize(actor, Action::Write, Resource::Surveys)?;
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(true)
            .from_reader(csv_text.as_bytes());
        let headers = reader
            .headers()
            .map_err(|error| CrmError::Invalid(format!("the CSV header cannot be read: {error}")))?
            .clone();
        let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
        let (Some(kind_col), Some(score_col)) = (column("kind"), column("score")) else {
            return Err(CrmError::Invalid(
                "the CSV needs a header row with at least \"kind\" and \"score\" columns".into(),
            ));
        };
        let optional = |name: &str| column(name);
        let (case_col, customer_col, comment_col, at_col, ref_col) = (
            optional("case_id"),
            optional("customer_id"),
            optional("comment"),
            optional("responded_at"),
            optional("external_ref"),
        );
        let mut report = ImportReport::default();
        for (index, record) in reader.records().enumerate() {
            let line = record
                .as_ref()
                .ok()
                .and_then(|r| r.position().map(|p| p.line()))
                .unwrap_or(index as u64 + 2);
            let record = match record {
                Ok(record) => record,
                Err(error) => {
                    report.errors.push(ImportError {
                        line,
                        message: format!("unreadable row: {error}"),
                    });
                    continue;
                }
            };
            let field = |col: Option<usize>| col.and_then(|c| record.get(c)).unwrap_or("");
            let parsed: Result<NewSurvey, String> = (|| {
                let kind = SurveyKind::parse(field(Some(kind_col)))?;
                let score_text = field(Some(score_col));
                let score = score_text
                    .parse::<i64>()
                    .map_err(|_| format!("score {score_text:?} is not a whole number"))?;
                let responded_at = match field(at_col) {
                    "" => None,
                    text => Some(
                        DateTime::parse_from_rfc3339(text)
                            .map_err(|_| format!("responded_at {text:?} is not an RFC 3339 time (2026-11-23T10:00:00Z)"))?
                            .with_timezone(&Utc),
                    ),
                };
                Ok(NewSurvey {
                    kind,
                    score,
                    comment: Some(field(comment_col).to_string()).filter(|c| !c.is_empty()),
                    case_id: parse_optional_id("case_id", field(case_col))?,
                    customer_id: parse_optional_id("customer_id", field(customer_col))?,
                    responded_at,
                    external_ref: Some(field(ref_col).to_string()).filter(|r| !r.is_empty()),
                })
            })();
            let new = match parsed {
                Ok(new) => new,
                Err(message) => {
                    report.errors.push(ImportError { line, message });
                    continue;
                }
            };
            match self
                .insert_survey(actor.map(|a| a.user_id), &new, "csv")
                .await
            {
                Ok(Some(_)) => report.imported += 1,
                Ok(None) => report.duplicates += 1,
                Err(CrmError::Database(message)) => return Err(CrmError::Database(message)),
                Err(error) => report.errors.push(ImportError {
                    line,
                    message: error.to_string(),
                }),
            }
        }
        Ok(report)
    }

    /// Responses of one customer or case.
    pub async fn list_surveys(
        &self,
        actor: Option<&Actor>,
        customer_id: Option<i64>,
        case_id: Option<i64>,
    ) -> CrmResult<Vec<SurveyResponse>> {
        authorize(actor, Action::Read, Resource::Surveys)?;
        let rows = self
            .db
            .fetch_all(
                "SELECT * FROM crm_surveys WHERE ($1 IS NULL OR customer_id = $1) AND ($2 IS NULL OR case_id = $2) ORDER BY id LIMIT 1000",
                &vals![customer_id, case_id],
            )
            .await?;
        rows.iter()
            .map(|row| {
                Ok(SurveyResponse {
                    id: row.int("id")?,
                    kind: SurveyKind::parse(&row.text("kind")?).map_err(CrmError::Database)?,
                    score: row.int("score")?,
                    comment: row.text("comment")?,
                    case_id: row.opt_int("case_id")?,
                    customer_id: row.opt_int("customer_id")?,
                    source: row.text("source")?,
                    external_ref: row.opt_text("external_ref")?,
                    responded_at: from_ms(row.int("responded_at")?),
                })
            })
            .collect()
    }

    /// Survey scores next to the same customers' public sentiment.
    pub async fn survey_vs_sentiment(&self, actor: Option<&Actor>) -> CrmResult<SurveyComparison> {
        authorize(actor, Action::Read, Resource::Analytics)?;
        let rows = self
            .db
            .fetch_all(
                "SELECT c.id, c.display_name,
                    (SELECT AVG(CAST(s.score AS DOUBLE PRECISION)) FROM crm_surveys s WHERE s.customer_id = c.id AND s.kind = 'csat') AS csat,
                    (SELECT AVG(CAST(s.score AS DOUBLE PRECISION)) FROM crm_surveys s WHERE s.customer_id = c.id AND s.kind = 'nps') AS nps,
                    (SELECT COUNT(*) FROM crm_surveys s WHERE s.customer_id = c.id) AS responses,
                    (SELECT AVG(p.sentiment) FROM crm_customer_posts p WHERE p.customer_id = c.id AND p.sentiment IS NOT NULL) AS sentiment,
                    (SELECT COUNT(*) FROM crm_customer_posts p WHERE p.customer_id = c.id) AS posts
                 FROM crm_customers c
                 WHERE c.merged_into IS NULL AND EXISTS (SELECT 1 FROM crm_surveys s WHERE s.customer_id = c.id)
                 ORDER BY c.id",
                &[],
            )
            .await?;
        let mut customers = Vec::with_capacity(rows.len());
        for row in &rows {
            customers.push(SurveyVsSocial {
                customer_id: row.int("id")?,
                display_name: row.text("display_name")?,
                csat_average: row.opt_float("csat")?,
                nps_average: row.opt_float("nps")?,
                responses: row.int("responses")?,
                sentiment_average: row.opt_float("sentiment")?,
                posts: row.int("posts")?,
            });
        }
        let pairs = |pick: fn(&SurveyVsSocial) -> Option<f64>| -> Vec<(f64, f64)> {
            customers
                .iter()
                .filter_map(|c| Some((pick(c)?, c.sentiment_average?)))
                .collect()
        };
        Ok(SurveyComparison {
            csat_sentiment_correlation: pearson(&pairs(|c| c.csat_average)),
            nps_sentiment_correlation: pearson(&pairs(|c| c.nps_average)),
            customers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pearson_matches_hand_computed_values() {
        let perfect = [(1.0, 2.0), (2.0, 4.0), (3.0, 6.0)];
        assert!((pearson(&perfect).unwrap() - 1.0).abs() < 1e-12);
        let inverse = [(1.0, 3.0), (2.0, 2.0), (3.0, 1.0)];
        assert!((pearson(&inverse).unwrap() + 1.0).abs() < 1e-12);
        assert_eq!(pearson(&[(1.0, 1.0), (2.0, 2.0)]), None);
        assert_eq!(pearson(&[(1.0, 1.0), (1.0, 2.0), (1.0, 3.0)]), None);
    }

    #[test]
    fn survey_kinds_know_their_ranges() {
        assert_eq!(SurveyKind::Csat.range(), (1, 5));
        assert_eq!(SurveyKind::Nps.range(), (0, 10));
        assert!(
            SurveyKind::parse("ces")
                .unwrap_err()
                .contains("csat or nps")
        );
    }
}
