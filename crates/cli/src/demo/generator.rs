//! Synthetic but realistic customer traffic for `switchyard demo` and benchmarks: posts about a
//! fictional parcel-delivery company, "Parcelo", written from our own templates (no outside data).
//!
//! Realism that matters for a demo: a long tail of authors (a few write much of the traffic,
//! followers follow a power law, a handful are large accounts), every channel, threads and replies,
//! a mix of complaints, questions, praise, suggestions, leads and spam, a few languages, and an
//! incident ("the tracking page rejects numbers") that spikes in the middle of the replay.

use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use switchyard_domain::{Channel, Engagement, NewPost, Visibility};

const PRODUCTS: &[&str] = &[
    "parcel", "package", "delivery", "order", "return", "shipment",
];
const CITIES: &[&str] = &[
    "Leeds", "Austin", "Lyon", "Porto", "Denver", "Utrecht", "Dublin", "Graz",
];

/// (kind, templates). `{p}` product, `{c}` city, `{n}` a number, `{d}` days.
const TEMPLATES: &[(&str, &[&str])] = &[
    (
        "delay",
        &[
            "@Parcelo my {p} was due {d} days ago and the status hasn't changed since {c}. Where is it?",
            "Still waiting on my {p}. {d} days late and no one answers the chat. Not impressed @Parcelo",
            "@Parcelo third time this month my {p} is late. I pay for express for a reason",
            "Day {d} of waiting for a {p} that was 'out for delivery'. Come on Parcelo",
        ],
    ),
    (
        "lost",
        &[
            "@Parcelo tracking says delivered but there is no {p} anywhere. Neighbours have nothing either",
            "My {p} has vanished somewhere near {c}. Parcelo support keeps closing my ticket",
            "@Parcelo your driver left my {p} in the rain and it's ruined. Who pays for this?",
        ],
    ),
    (
        "glitch",
        &[
            "@Parcelo the tracking page says my tracking number is invalid. It's printed on your own label!",
            "Your website rejects every tracking number I type since Tuesday @Parcelo. Fix your site",
            "App crashes every time I open the {p} details screen. Android 15, latest version @Parcelo",
            "Phone menu at Parcelo loops forever, there is no way to reach a person. Pressed 0 {n} times",
        ],
    ),
    (
        "billing",
        &[
            "@Parcelo you charged me twice for one {p}. I want my refund, order {n}",
            "Still no refund for the {p} I returned {d} weeks ago @Parcelo",
            "Why was I billed a customs fee of ${n} on a domestic {p}? @Parcelo",
        ],
    ),
    (
        "staff",
        &[
            "The Parcelo driver in {c} was incredibly rude to my elderly mother today",
            "@Parcelo your agent hung up on me. Twice. Terrible service",
        ],
    ),
    (
        "urgent",
        &[
            "@Parcelo your van is blocking the ambulance bay at {c} hospital right now!!",
            "I'm done. Cancel my account @Parcelo, and my lawyer will be in touch about the damaged {p}",
            "@Parcelo is your whole site down? Nothing loads and I have {n} parcels to ship today",
        ],
    ),
    (
        "question",
        &[
            "@Parcelo do you deliver to {c} on Sundays?",
            "How do I change the delivery address of a {p} already on its way? @Parcelo",
            "@Parcelo can I pick up my {p} at a locker instead?",
            "Does Parcelo ship internationally to {c}? Need to send a {p} next week",
        ],
    ),
    (
        "praise",
        &[
            "Shout out to the Parcelo driver in {c} who waited while I ran downstairs. Great service!",
            "@Parcelo {p} arrived a day early and perfectly packed. Love it",
            "Honestly impressed, Parcelo support sorted my {p} in 5 minutes. Thank you!",
            "Best delivery experience I've had this year @Parcelo 👏",
        ],
    ),
    (
        "suggestion",
        &[
            "@Parcelo it would be great if the app let me choose a delivery time window",
            "Idea for Parcelo: send a photo when the {p} is left at the door",
        ],
    ),
    (
        "lead",
        &[
            "We ship about {n} parcels a week from our shop in {c}. Does @Parcelo offer business rates?",
            "Looking for a courier for our online store, is Parcelo any good? Need pricing for {n} orders/month",
        ],
    ),
    (
        "spam",
        &[
            "🔥 Earn $5000 a week from home!!! DM me now 🔥 #crypto #parcelo",
            "Follow for follow? Free gift cards at my profile link #giveaway",
        ],
    ),
    (
        "neutral",
        &[
            "Parcelo van parked outside again, must be everyone's birthday on this street",
            "Reading about how Parcelo plans to use electric vans in {c}",
            "Just sent my first {p} with Parcelo, let's see how it goes",
        ],
    ),
];

const OTHER_LANGUAGES: &[&str] = &[
    "@Parcelo mein Paket ist seit {d} Tagen verspätet und niemand antwortet. Sehr ärgerlich!",
    "@Parcelo mi paquete lleva {d} días de retraso y nadie me responde",
    "@Parcelo mon colis est en retard depuis {d} jours, aucune réponse du service client",
    "@Parcelo o meu pacote está atrasado há {d} dias e ninguém responde",
    "@Parcelo mijn pakket is al {d} dagen te laat en niemand reageert",
];

/// Author pool with a long tail of reach.
struct AuthorPool {
    handles: Vec<String>,
    followers: Vec<u64>,
    verified: Vec<bool>,
}

impl AuthorPool {
    fn new(rng: &mut StdRng, size: usize) -> Self {
        let first = [
            "amy", "ben", "carla", "dev", "eli", "fatima", "gus", "hana", "ivan", "jo", "kofi",
            "lena", "mo", "nina", "omar", "pia", "quinn", "raj", "sara", "tom", "uma", "vic",
        ];
        let mut handles = Vec::with_capacity(size);
        let mut followers = Vec::with_capacity(size);
        let mut verified = Vec::with_capacity(size);
        for index in 0..size {
            let name = first[index % first.len()];
            handles.push(format!("{name}_{}", 100 + index));
            // Power law: most authors have tens to hundreds of followers, a few have 100k+.
            let u: f64 = rng.random_range(0.0001..1.0);
            let reach = (30.0 / u.powf(1.1)).min(2_500_000.0) as u64;
            followers.push(reach);
            verified.push(reach > 200_000 && rng.random_bool(0.6));
        }
        // A few well-known accounts so the PR queue has something to do.
        for (slot, reach) in [(0usize, 1_200_000u64), (1, 240_000), (2, 150_000)] {
            if slot < size {
                followers[slot] = reach;
                verified[slot] = true;
                handles[slot] = ["techreviewer", "cityjournal", "consumerwatch"][slot].to_string();
            }
        }
        AuthorPool {
            handles,
            followers,
            verified,
        }
    }

    /// Picks an author; low indices are much more likely (participation inequality).
    fn pick(&self, rng: &mut StdRng) -> usize {
        let u: f64 = rng.random_range(0.0..1.0);
        let index = ((self.handles.len() as f64) * u.powf(2.6)) as usize;
        index.min(self.handles.len() - 1)
    }
}

/// A deterministic stream of demo posts.
pub struct DemoGenerator {
    rng: StdRng,
    authors: AuthorPool,
    sequence: u64,
    recent_public: Vec<(Channel, String, String)>,
    prefix: String,
}

impl DemoGenerator {
    pub fn new(seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let authors = AuthorPool::new(&mut rng, 5_000);
        DemoGenerator {
            rng,
            authors,
            sequence: 0,
            recent_public: Vec::new(),
            prefix: "demo".to_string(),
        }
    }

    fn fill(&mut self, template: &str) -> String {
        let product = PRODUCTS[self.rng.random_range(0..PRODUCTS.len())];
        let city = CITIES[self.rng.random_range(0..CITIES.len())];
        let number = self.rng.random_range(2..90).to_string();
        let days = self.rng.random_range(2..15).to_string();
        template
            .replace("{p}", product)
            .replace("{c}", city)
            .replace("{n}", &number)
            .replace("{d}", &days)
    }

    fn pick_channel(&mut self) -> Channel {
        let roll = self.rng.random_range(0..100);
        match roll {
            0..=39 => Channel::X,
            40..=54 => Channel::Mastodon,
            55..=66 => Channel::Bluesky,
            67..=76 => Channel::Facebook,
            77..=82 => Channel::Review,
            83..=86 => Channel::Forum,
            87..=93 => Channel::Email,
            _ => Channel::Chat,
        }
    }

    /// A generator for live traffic: ids carry the seed so they never collide with history.
    pub fn live(seed: u64) -> Self {
        let mut generator = DemoGenerator::new(seed);
        generator.prefix = format!("live{seed}");
        generator
    }

    /// The next post, created at `at`. `incident` ∈ [0,1] raises the share of tracking-glitch posts.
    pub fn next_post(&mut self, at: DateTime<Utc>, incident: f64) -> NewPost {
        self.sequence += 1;
        let text = if self.rng.random_bool(incident.clamp(0.0, 1.0)) {
            let glitch = TEMPLATES
                .iter()
                .find(|(kind, _)| *kind == "glitch")
                .map(|(_, t)| t[self.rng.random_range(0..2)])
                .unwrap_or("tracking page broken");
            self.fill(glitch)
        } else if self.rng.random_bool(0.05) {
            let template = OTHER_LANGUAGES[self.rng.random_range(0..OTHER_LANGUAGES.len())];
            self.fill(template)
        } else {
            let weights = [18, 8, 8, 8, 4, 3, 14, 14, 4, 3, 4, 12];
            let total: u32 = weights.iter().sum();
            let mut roll = self.rng.random_range(0..total);
            let mut chosen = 0;
            for (index, weight) in weights.iter().enumerate() {
                if roll < *weight {
                    chosen = index;
                    break;
                }
                roll -= weight;
            }
            let templates = TEMPLATES[chosen].1;
            let template = templates[self.rng.random_range(0..templates.len())];
            self.fill(template)
        };
        let channel = self.pick_channel();
        let author = self.authors.pick(&mut self.rng);
        let handle = self.authors.handles[author].clone();
        let external_id = format!("{}-{}-{}", self.prefix, channel.as_str(), self.sequence);
        let mut post = NewPost::new(channel, external_id.clone(), handle.clone(), text, at);
        post.author.followers = Some(self.authors.followers[author]);
        post.author.verified = self.authors.verified[author];
        post.author.display_name = Some(handle.replace('_', " "));
        if channel == Channel::Email {
            post.author.handle = format!("{handle}@example.com");
        }
        let likes = self
            .rng
            .random_range(0..(2 + self.authors.followers[author] / 500).min(5000));
        post.engagement = Engagement {
            likes,
            shares: likes / 4,
            replies: self.rng.random_range(0..4),
            views: matches!(channel, Channel::X | Channel::Forum)
                .then(|| likes * 40 + self.rng.random_range(10..400)),
        };
        post.permalink = Some(format!(
            "https://demo.invalid/{}/{}",
            channel.as_str(),
            self.sequence
        ));
        // Some public posts continue an earlier thread.
        if post.visibility == Visibility::Public
            && !self.recent_public.is_empty()
            && self.rng.random_bool(0.12)
        {
            let pick = self.rng.random_range(0..self.recent_public.len());
            let (parent_channel, parent_id, thread_id) = self.recent_public[pick].clone();
            if parent_channel == channel {
                post.parent_id = Some(parent_id);
                post.thread_id = Some(thread_id);
            }
        }
        if post.visibility == Visibility::Public {
            let thread = post
                .thread_id
                .clone()
                .unwrap_or_else(|| external_id.clone());
            self.recent_public.push((channel, external_id, thread));
            if self.recent_public.len() > 200 {
                self.recent_public.remove(0);
            }
        }
        post
    }

    /// `count` posts spread over the `days` before `end`, with an incident in the last day.
    pub fn history(&mut self, count: usize, days: i64, end: DateTime<Utc>) -> Vec<NewPost> {
        let span = Duration::days(days).num_seconds().max(1);
        let mut posts = Vec::with_capacity(count);
        for index in 0..count {
            let offset = span - (span * index as i64 / count.max(1) as i64);
            let at = end - Duration::seconds(offset);
            let hours_before_end = offset as f64 / 3600.0;
            let incident = if hours_before_end < 20.0 { 0.25 } else { 0.0 };
            posts.push(self.next_post(at, incident));
        }
        posts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_posts() {
        let at = Utc::now();
        let a: Vec<_> = (0..50)
            .map(|_| DemoGenerator::new(7).next_post(at, 0.0))
            .collect();
        let b: Vec<_> = (0..50)
            .map(|_| DemoGenerator::new(7).next_post(at, 0.0))
            .collect();
        assert_eq!(a, b);
    }

    #[test]
    fn history_has_unique_ids_channels_and_a_long_tail() {
        let mut generator = DemoGenerator::new(1);
        let posts = generator.history(5_000, 7, Utc::now());
        let ids: std::collections::HashSet<_> = posts
            .iter()
            .map(|p| (p.channel, p.external_id.clone()))
            .collect();
        assert_eq!(ids.len(), posts.len());
        let channels: std::collections::HashSet<_> = posts.iter().map(|p| p.channel).collect();
        assert!(channels.len() >= 6);
        assert!(
            posts
                .iter()
                .any(|p| p.author.followers.unwrap_or(0) >= 100_000)
        );
        assert!(
            posts.iter().all(|p| !p.text.contains('{')),
            "unfilled template"
        );
        let replies = posts.iter().filter(|p| p.parent_id.is_some()).count();
        assert!(replies > 100, "{replies} replies");
    }
}
