//! The core issue's acceptance comments, scored by the binary with the embedded default model.

mod util;

use util::{cg, jsonl, repo};

#[test]
fn news_thread_only_the_gift_card_reply_is_spam() {
    let fixture = std::fs::read_to_string(repo().join("tests/fixtures/news-thread.txt")).unwrap();
    assert_eq!(fixture.lines().count(), 6);
    let out = cg().arg("score").write_stdin(fixture).assert().success();
    let rows = jsonl(&out.get_output().stdout);
    assert_eq!(rows.len(), 6);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row["id"], (i + 1).to_string());
        let spam = row["scores"]["spam"].as_f64().unwrap();
        let flagged = row["flagged"].as_array().unwrap();
        if i == 1 {
            assert!(spam >= 0.9, "gift-card reply scored {spam}");
            assert_eq!(flagged, &["spam"], "row {row}");
        } else {
            assert!(flagged.is_empty(), "comment {} flagged: {row}", i + 1);
        }
    }
}

#[test]
fn insult_is_toxic_and_civil_disagreement_is_not() {
    let out = cg()
        .args([
            "score",
            "You are a pathetic idiot and everyone here knows it",
            "I disagree with this policy, it is a bad idea",
        ])
        .assert()
        .success();
    let rows = jsonl(&out.get_output().stdout);
    assert_eq!(rows[0]["flagged"], serde_json::json!(["toxic"]));
    assert_eq!(rows[1]["flagged"], serde_json::json!([]));
}
