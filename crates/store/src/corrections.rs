//! Agents' corrections of model labels: stored with who and when, applied to the analysis shown
//! on the post (and in the search index), and kept as training data with the model's original.

use crate::error::{DbContext, Result, StoreError};
use crate::model::Correction;
use crate::read::{CORRECTION_SELECT, CorrectionRecord};
use crate::sql::{clean_text, to_micros, with_pool, with_write_tx};
use crate::store::Store;
use chrono::Utc;
use sqlx::types::Json;
use switchyard_domain::{Analysis, PostId, Prediction, SmolStr, format_smolstr};

/// The tasks whose labels can be corrected.
pub const CORRECTABLE_TASKS: [&str; 7] = [
    "sentiment",
    "complaint",
    "intent",
    "reason",
    "urgency",
    "toxicity",
    "language",
];

/// The analysis column that mirrors a task's label (for filtering).
fn label_column(task: &str) -> Option<&'static str> {
    match task {
        "sentiment" => Some("sentiment"),
        "complaint" => Some("complaint"),
        "intent" => Some("intent"),
        "reason" => Some("reason"),
        "urgency" => Some("urgency"),
        "toxicity" => Some("toxicity"),
        "language" => Some("detected_language"),
        _ => None,
    }
}

/// Sets `task`'s label on `analysis` as a human decision.
fn apply_label(analysis: &mut Analysis, task: &str, label: &str, user: &str) {
    let model = format_smolstr!("human:{user}");
    let human = || Prediction {
        label: SmolStr::new(label),
        confidence: 1.0,
        model: model.clone(),
        explain: Vec::new(),
    };
    match task {
        "sentiment" => {
            analysis.sentiment.label = SmolStr::new(label);
            analysis.sentiment.confidence = 1.0;
            analysis.sentiment.model = model.clone();
            analysis.sentiment.explain.clear();
        }
        "language" => {
            analysis.language = SmolStr::new(label);
            analysis.language_confidence = 1.0;
        }
        "complaint" => analysis.complaint = Some(human()),
        "intent" => analysis.intent = Some(human()),
        "reason" => analysis.reason = Some(human()),
        "urgency" => analysis.urgency = Some(human()),
        "toxicity" => analysis.toxicity = Some(human()),
        _ => {}
    }
}

impl Store {
    /// Records that `user` set `task`'s label on a post to `label`. The post then shows the new
    /// label (in its analysis, filters, statistics and search), while the correction row keeps the
    /// label shown before and the model's original for training.
    pub async fn add_correction(
        &self,
        post_id: PostId,
        task: &str,
        label: &str,
        user: &str,
    ) -> Result<Correction> {
        let task = task.trim().to_ascii_lowercase();
        let Some(column) = label_column(&task) else {
            return Err(StoreError::Invalid(format!(
                "cannot correct task {task:?}; correctable tasks are {}",
                CORRECTABLE_TASKS.join(", ")
            )));
        };
        let label = clean_text(label.trim()).into_owned();
        if label.is_empty() {
            return Err(StoreError::Invalid(
                "the corrected label is empty; give the label the post should have".into(),
            ));
        }
        let user = clean_text(user.trim()).into_owned();
        if user.is_empty() {
            return Err(StoreError::Invalid(
                "a correction needs the name of the user who made it".into(),
            ));
        }
        let backend = self.inner.db.backend();
        let update_sql = format!(
            "UPDATE posts SET {column} = {}, analysis = {} WHERE id = {}",
            backend.placeholder(1),
            backend.json_placeholder(2),
            backend.placeholder(3)
        );
        let now = to_micros(Utc::now());
        let record: CorrectionRecord = with_write_tx!(self.inner, |tx| {
            let stored: Option<Json<Analysis>> =
                sqlx::query_scalar("SELECT analysis FROM posts WHERE id = $1")
                    .bind(post_id)
                    .fetch_optional(&mut *tx)
                    .await
                    .during("reading the analysis to correct")?;
            let Some(Json(mut analysis)) = stored else {
                return Err(StoreError::PostNotFound(post_id));
            };
            let previous_label = analysis.label(&task).map(str::to_string);
            let earlier: Option<Option<String>> = sqlx::query_scalar(
                "SELECT model_label FROM corrections WHERE post_id = $1 AND task = $2 ORDER BY id LIMIT 1",
            )
            .bind(post_id)
            .bind(task.as_str())
            .fetch_optional(&mut *tx)
            .await
            .during("reading earlier corrections")?;
            let model_label = match earlier {
                Some(original) => original,
                None => previous_label.clone(),
            };
            apply_label(&mut analysis, &task, &label, &user);
            sqlx::query(sqlx::AssertSqlSafe(update_sql))
                .bind(label.as_str())
                .bind(crate::ingest::analysis_json(&analysis))
                .bind(post_id)
                .execute(&mut *tx)
                .await
                .during("applying a correction")?;
            let record: CorrectionRecord = sqlx::query_as(
                "INSERT INTO corrections (post_id, task, label, previous_label, model_label, user_name, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 RETURNING id, post_id, task, label, previous_label, model_label, user_name, created_at",
            )
            .bind(post_id)
            .bind(task.as_str())
            .bind(label.as_str())
            .bind(previous_label.as_deref())
            .bind(model_label.as_deref())
            .bind(user.as_str())
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .during("recording a correction")?;
            record
        });
        let correction = record.into_correction()?;
        if let Err(error) = self.reindex_posts(&[post_id]).await {
            tracing::error!(%error, post_id, "re-indexing a corrected post failed; it will be fixed on the next reindex");
        }
        Ok(correction)
    }

    /// Every correction, oldest first (training data for `switchyard train --with-corrections`).
    pub async fn corrections(&self) -> Result<Vec<Correction>> {
        let sql = format!("{CORRECTION_SELECT} ORDER BY id");
        let records: Vec<CorrectionRecord> = with_pool!(&self.inner.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(pool)
                .await
                .during("listing corrections")
        })?;
        records
            .into_iter()
            .map(CorrectionRecord::into_correction)
            .collect()
    }
}
