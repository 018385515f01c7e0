use super::*;

#[test]
fn every_preset_parses_and_resolves() {
    for (name, _) in PRESETS {
        Recipe::preset(name).unwrap_or_else(|e| panic!("preset {name}: {e:#}"));
    }
}

#[test]
fn default_preset_file_matches_the_built_in_default() {
    assert_eq!(RawRecipe::preset("default").unwrap().values, RecipeFile::default());
    let default = Recipe::default();
    assert_eq!(default.loss.layers.len(), 5, "relu1_1…relu4_1 and relu4_2");
    let sides: Vec<_> = default.schedule.levels.iter().map(|l| (l.side, l.iterations)).collect();
    assert_eq!(sides, [(128, 60), (256, 30), (512, 40)], "auto scales at 512 px: halving, the finest 4/3");
}

#[test]
fn iterations_halve_and_the_finest_of_several_levels_gets_four_thirds_of_the_one_before() {
    let levels = |n, iterations, given: &[usize]| -> Vec<usize> {
        Schedule::coarse_to_fine(1024, n, iterations, given).iter().map(|l| l.iterations).collect()
    };
    assert_eq!(levels(1, 80, &[]), [80], "a single level is the finest and the coarsest");
    assert_eq!(levels(2, 60, &[]), [60, 80]);
    assert_eq!(levels(4, 200, &[]), [200, 100, 50, 66]);
    assert_eq!(levels(3, 1, &[]), [1, 1, 1], "never fewer than one");
    assert_eq!(levels(3, 80, &[5, 4, 3]), [5, 4, 3], "level_iterations wins");
}

fn error_of(text: &str) -> String {
    let file = Origin::File("r.toml".into());
    format!("{:#}", RawRecipe::from_toml(text, file).and_then(Recipe::resolve).unwrap_err())
}

#[test]
fn each_kind_of_bad_table_has_its_own_error() {
    let cases = [
        ("content_weight = [", "r.toml"),
        ("colour = 1", "unknown field `colour`"),
        ("[layers]\nrelu9_1 = { style = 1 }", "layers.relu9_1: unknown layer"),
        ("[layers]\nrelu1_1 = { stlye = 1 }", "unknown field `stlye`"),
        ("style_weight = nan", "style_weight = NaN"),
        ("tv_weight = -1", "tv_weight = -1"),
        ("[layers]\nrelu1_1 = { style = -2 }", "layers.relu1_1.style = -2"),
        ("[layers]\nrelu1_1 = { style = 0 }", "nothing to optimise"),
        ("content_weight = 0\nstyle_weight = 0", "nothing to optimise"),
        ("[layers]\nrelu1_1 = { style = 1 }\nblock1_conv1 = { style = 1 }", "same layer"),
        ("iterations = 0", "iterations = 0"),
        ("history_size = 0", "history_size = 0"),
        ("tv_exponent = 9", "tv_exponent = 9"),
        ("pooling = \"min\"", "unknown variant `min`"),
        ("size = 0", "size = 0"),
        ("style_size = 0", "style_size = 0"),
        ("style_scale = 0", "style_scale = 0"),
        ("style_scale = 2\nstyle_size = 64", "one or the other"),
        ("device = \"tpu\"", "'tpu' is not a device"),
        ("seed = -1", "seed"),
        ("scales = 9", "scales = 9"),
        ("scales = 2\nlevel_iterations = [5]", "level_iterations has 1 entries"),
        ("scales = 3\nsize = 256", "coarsest level would be 64 px"),
        ("learning_rate = 0", "learning_rate = 0"),
        ("preserve_colors = \"grey\"", "unknown variant `grey`"),
        ("optimizer = \"sgd\"", "unknown variant `sgd`"),
        ("tv_normalization = \"relative\"", "only content_normalization can be relative"),
    ];
    for (text, expected) in cases {
        let err = error_of(text);
        assert!(err.contains(expected), "{text:?} gave {err:?}, expected {expected:?}");
        assert!(err.starts_with("r.toml: "), "{text:?}: the file is not named first in {err:?}");
    }
}

#[test]
fn syntax_errors_show_the_line() {
    let err = error_of("content_weight = 1\nstyle_weight = = 2\n");
    assert!(err.contains("line 2"), "{err}");
}

#[test]
fn partial_recipe_keeps_defaults() {
    let r = RawRecipe::from_toml("tv_weight = 0.5", Origin::File("r".into())).unwrap();
    assert_eq!(r.values.tv_weight, 0.5);
    assert_eq!(r.values.layers, RecipeFile::default().layers);
}

fn with_flags(base: RawRecipe, flags: Overrides) -> Result<Recipe> {
    let mut raw = base;
    raw.apply(&flags);
    Recipe::resolve(raw)
}

#[test]
fn a_bad_value_is_named_by_where_it_came_from() {
    let flag = with_flags(RawRecipe::default(), Overrides { iterations: Some(0), ..Default::default() });
    assert_eq!(format!("{:#}", flag.unwrap_err()), "--iterations 0: must be at least 1");
    let flag =
        with_flags(RawRecipe::default(), Overrides { learning_rate: Some(-1.0), ..Default::default() });
    assert_eq!(format!("{:#}", flag.unwrap_err()), "--lr -1: must be a finite number > 0");
    let preset = RawRecipe::from_toml("size = 0", Origin::Preset("mine".into())).and_then(Recipe::resolve);
    assert_eq!(
        format!("{:#}", preset.unwrap_err()),
        "preset mine: size = 0: the output needs at least one pixel a side"
    );
    // Two keys, one from the file and one from a flag: both sources are named.
    let file = RawRecipe::from_toml("size = 256", Origin::File("r.toml".into())).unwrap();
    let err = format!(
        "{:#}",
        with_flags(file, Overrides { scales: Some(Scales::Count(3)), ..Default::default() }).unwrap_err()
    );
    assert!(err.starts_with("r.toml: scales = 3 at size = 256"), "{err}");
    assert!(err.ends_with("(set by --scales)"), "{err}");
}

#[test]
fn flags_replace_what_they_contradict() {
    let file = "scales = 2\nsize = 512\nlevel_iterations = [40, 20]\nstyle_size = 300";
    let base = RawRecipe::from_toml(file, Origin::File("r.toml".into())).unwrap();
    let kept =
        with_flags(base.clone(), Overrides { scales: Some(Scales::Count(2)), ..Default::default() }).unwrap();
    assert_eq!(
        kept.schedule.levels,
        vec![Level { side: 256, iterations: 40 }, Level { side: 512, iterations: 20 }]
    );
    let flags = Overrides { iterations: Some(10), style_scale: Some(0.5), ..Default::default() };
    let replaced = with_flags(base, flags).unwrap();
    assert_eq!(
        replaced.schedule.levels,
        vec![Level { side: 256, iterations: 10 }, Level { side: 512, iterations: 13 }],
        "--iterations drops the file's level_iterations: 10, then 4/3 of 10"
    );
    assert_eq!(replaced.style_side, 256, "--style-scale replaces the file's style_size");
    assert!(replaced.asked.from_flag("style_scale") && !replaced.asked.from_flag("size"));
}

#[test]
fn resolved_parts_hold_the_recipe() {
    let file = "init = \"noise\"\nseed = 7\noptimizer = \"adam\"\nlearning_rate = 3\n\
                [layers]\nrelu2_1 = { style = 2 }\nrelu1_1 = { style = 1, content = 0.5 }\nrelu3_1 = {}";
    let r = RawRecipe::from_toml(file, Origin::File("r.toml".into())).and_then(Recipe::resolve).unwrap();
    assert_eq!(r.start, Start::Noise { seed: 7 });
    assert_eq!(r.optimiser, Optimiser::Adam { learning_rate: 3.0 });
    let indices: Vec<usize> = r.loss.layers.iter().map(|l| l.index).collect();
    assert_eq!(indices, [0, 2], "network order, zero-weight layers left out");
    assert_eq!((r.loss.style_indices(), r.loss.content_indices()), (vec![0, 2], vec![0]));
    assert_eq!((r.loss.deepest(), r.loss.min_side()), (2, 2));
    assert_eq!(Recipe::default().loss.min_side(), 8, "relu4_2, the deepest, sits after three pools");
}

#[test]
fn auto_scales_keep_the_coarsest_level_at_128_px_or_more() {
    let count = |size| Scales::Auto.count(size);
    assert_eq!([count(64), count(255), count(256), count(511), count(512), count(1024)], [1, 1, 2, 2, 3, 4]);
    assert_eq!(count(100_000), 6, "at most six levels");
    let file = RawRecipe::from_toml("scales = \"auto\"\nsize = 300", Origin::File("r.toml".into())).unwrap();
    let sides: Vec<_> = Recipe::resolve(file).unwrap().schedule.levels.iter().map(|l| l.side).collect();
    assert_eq!(sides, [150, 300]);
    let flag =
        with_flags(RawRecipe::default(), Overrides { scales: Some(Scales::Count(1)), ..Default::default() });
    assert_eq!(flag.unwrap().schedule.levels.len(), 1, "an explicit --scales wins");
    let err = error_of("scales = \"many\"");
    assert!(err.contains("give a number of levels or \"auto\""), "{err}");
}

#[test]
fn the_default_preset_shows_every_key() {
    let (_, text) = PRESETS.iter().find(|(name, _)| *name == "default").unwrap();
    let keys = toml::to_string(&RecipeFile::default()).unwrap();
    let keys: Vec<&str> = keys
        .lines()
        .take_while(|line| !line.starts_with('['))
        .filter_map(|line| line.split_once(" = ").map(|(key, _)| key))
        .chain(["style_size", "style_scale", "max_memory", "level_iterations", "layers"])
        .collect();
    for key in keys {
        let shown = text.lines().any(|line| {
            let line = line.trim_start_matches(['#', ' ']);
            line.starts_with(&format!("{key} =")) || line.starts_with(&format!("[{key}]"))
        });
        assert!(shown, "weights/presets/default.toml does not show the key {key}");
    }
}
