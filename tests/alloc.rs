//! The scoring path allocates nothing per comment once its buffers are warm.

use commentguard::Classifier;

// dhat counts every heap allocation of this test binary.
#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

#[test]
fn scoring_allocates_nothing_per_comment_once_warm() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/comments-v1.csv");
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let comments: Vec<String> = rdr
        .records()
        .map(|r| r.unwrap()[1].to_owned())
        .take(1000)
        .collect();
    let model = Classifier::embedded().unwrap();
    let mut scorer = model.scorer();
    // The first pass grows the reused buffers to their working size.
    let mut warm = 0.0;
    for c in &comments {
        warm += scorer.score(c)[0];
    }
    let before = dhat::HeapStats::get();
    let mut again = 0.0;
    for c in &comments {
        again += std::hint::black_box(scorer.score(c))[0];
    }
    let after = dhat::HeapStats::get();
    assert_eq!(warm, again, "the same comments score the same");
    dhat::assert_eq!(
        after.total_blocks - before.total_blocks,
        0,
        "allocations while scoring 1,000 warm comments"
    );
}
