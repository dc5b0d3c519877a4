//! What the reader targets share: reader options chosen by the input's first byte.

use commentguard::{InputOptions, LabelSpec};

/// Options from the bits of `flags`: skip invalid rows (1), an id column (2), a `spam` label
/// (4), a categorical `toxic` label (8); everything else as the library's defaults.
pub fn options(flags: u8) -> InputOptions {
    let mut labels: Vec<LabelSpec> = Vec::new();
    if flags & 4 != 0 {
        labels.push("spam".parse().expect("a valid label spec"));
    }
    if flags & 8 != 0 {
        labels.push(
            "toxic=kind:insult,threat"
                .parse()
                .expect("a valid label spec"),
        );
    }
    InputOptions {
        text_column: "text".into(),
        id_column: (flags & 2 != 0).then(|| "id".to_owned()),
        labels,
        skip_invalid: flags & 1 != 0,
        ..InputOptions::default()
    }
}
