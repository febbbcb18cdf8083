//! `ghl-import init`: writes the mapping a file would get anyway, as a commented mapping file,
//! so a person can see every decision and change the ones that are wrong. Used unchanged, the
//! file maps exactly as auto-detection does; suggestions that would change the result are
//! written as comments.

use serde_json::Value;

use super::{
    auto_rule, find_columns, normalise, presets, Mapper, MappingError, MappingSpec, PresetChoice,
    Rule, Target,
};
use crate::contact::Field;
use crate::input::{Record, RecordValues};
use crate::validation::custom_fields::CustomFieldDef;

/// The columns and the first rows of a file, as text.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    pub headers: Vec<String>,
    /// Aligned with `headers`; missing cells are empty.
    pub rows: Vec<Vec<String>>,
    /// JSONL: keys come from the objects, not a header row.
    pub jsonl: bool,
    /// `--skip-lines`: the lines above the header (a title block) that were left unread.
    pub skip_lines: u64,
}

impl Sample {
    /// Up to `limit` readable records. Without `headers` (JSONL) the columns are the keys seen,
    /// in order of first appearance.
    pub fn read(
        headers: Option<&[String]>,
        records: impl Iterator<Item = Record>,
        limit: usize,
    ) -> Sample {
        let mut s = Sample {
            headers: headers.map(<[String]>::to_vec).unwrap_or_default(),
            rows: Vec::new(),
            jsonl: headers.is_none(),
            skip_lines: 0,
        };
        for r in records.take(limit) {
            match r.values {
                // A cell that could not be read is no sample of its column.
                RecordValues::Cells(cells) => s.rows.push(
                    (0..cells.len())
                        .map(|i| match cells.unreadable(i) {
                            Some(_) => String::new(),
                            None => cells.get(i).unwrap_or_default().to_owned(),
                        })
                        .collect(),
                ),
                RecordValues::Object(obj) => {
                    let mut row = vec![String::new(); s.headers.len()];
                    for (k, v) in obj.map {
                        let text = match v {
                            Value::String(t) => t,
                            Value::Null => String::new(),
                            Value::Array(items) => items
                                .iter()
                                .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                                .collect::<Vec<_>>()
                                .join(","),
                            other => other.to_string(),
                        };
                        match s.headers.iter().position(|h| *h == k) {
                            Some(i) => row[i] = text,
                            None => {
                                s.headers.push(k);
                                row.push(text);
                            }
                        }
                    }
                    s.rows.push(row);
                }
                RecordValues::Unreadable { .. } | RecordValues::Footer { .. } => {}
            }
        }
        for row in &mut s.rows {
            row.resize(s.headers.len(), String::new());
        }
        s
    }

    fn values(&self, i: usize) -> impl Iterator<Item = &str> {
        self.rows
            .iter()
            .filter_map(move |r| r.get(i))
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }
}

/// The commented mapping file for `sample`. `input` names the file in the comments.
/// `location_fields`: the location's custom fields (with a token), which unmapped columns are
/// matched to by name or key, as the import does.
pub fn generate(
    sample: &Sample,
    choice: &PresetChoice,
    input: &str,
    location_fields: &[CustomFieldDef],
) -> Result<String, MappingError> {
    let headers: Vec<String> = sample.headers.clone();
    // An import only detects presets from a CSV header row.
    let choice = match choice {
        PresetChoice::Auto if sample.jsonl => PresetChoice::Off,
        c => c.clone(),
    };
    let mut mapper = Mapper::new(Some(&MappingSpec::from_preset(choice)), Some(&headers))?;
    if sample.jsonl {
        // A run matches a nested key by its last part too (`address.city` → city): the file
        // says so, each field once (a later key for it is the run's backup, as unlisted).
        for (i, header) in headers.iter().enumerate() {
            if mapper.columns[i].is_some() {
                continue;
            }
            let rule = super::auto_rule_nested(header);
            if let Some(rule) = rule.filter(|r| {
                !mapper
                    .columns
                    .iter()
                    .flatten()
                    .any(|c| c.target == r.target)
            }) {
                mapper.columns[i] = Some(rule);
            }
        }
    }
    let matched: Vec<String> = mapper
        .match_custom_fields(location_fields)
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    let preset = mapper.preset;
    let mut out = String::new();
    out += &format!(
        "# Mapping for {input}, written by `ghl-import init` from its columns and first {} rows.\n",
        sample.rows.len()
    );
    let skip = match sample.skip_lines {
        0 => String::new(),
        n => format!(" --skip-lines {n}"),
    };
    out += &format!("# Use it with:  ghl-import import {input}{skip} --mapping <this file>\n");
    if sample.skip_lines > 0 {
        // A mapping file has no place for it: without the flag the title is read as the header.
        let lines = match sample.skip_lines {
            1 => "line 1".to_owned(),
            n => format!("lines 1 to {n}"),
        };
        out += &format!(
            "# The file's title block above the header ({lines}) is left unread with{skip}: give it each time, a mapping file cannot.\n"
        );
    }
    out += "# Used unchanged it maps exactly as ghl-import does without it; edit what is wrong.\n";
    out +=
        "# Suggestions that would change the result are commented out (lines starting \"# \").\n\n";

    match &preset {
        Some((d, named)) => {
            let why = if *named {
                format!("named with --preset; {}", d.evidence())
            } else {
                format!(
                    "{}; {}: {}",
                    d.variant.name,
                    d.evidence(),
                    d.found(&headers).join(", ")
                )
            };
            out += &format!("# Preset: {} ({why}).\n", d.preset.name);
            out += "# The columns below are what it does; a line here wins over the preset.\n";
            out += &format!("preset = {}\n\n", quote(d.preset.id));
        }
        None => {
            let best = presets::scores(&headers).into_iter().next();
            match best {
                Some(b) if b.matched > 0 => {
                    out += &format!(
                        "# No preset: the closest, {}, has only {} of its {} typical columns (it needs half, and at least {}).\n",
                        b.preset.name, b.matched, b.total, presets::MIN_MATCHED
                    )
                }
                _ => out += "# No preset: the columns look like no known CRM export.\n",
            }
            out += &format!(
                "# Presets: {} (preset = \"hubspot\" or --preset hubspot).\n",
                presets::IDS.join(", ")
            );
            out += "preset = \"none\"\n\n";
        }
    }
    out +=
        "# Columns not listed below are still matched by name; false imports only those listed.\n";
    out += "auto = true\n\n[columns]\n";

    let preset_spec = preset.as_ref().map(|(d, _)| &d.preset.spec);
    let has = |f: Field| {
        mapper
            .columns
            .iter()
            .flatten()
            .any(|r| r.target == Target::Field(f))
    };
    let split_names = has(Field::FirstName) || has(Field::LastName);
    // Records shaped like an API dump: the run reads some keys by that shape, object by object.
    let shape = sample
        .jsonl
        .then(|| super::api_shape::ApiShape::of_sample(&headers, &sample.rows))
        .flatten();
    for (i, header) in headers.iter().enumerate() {
        // Read natively as custom fields; listing it would turn that off.
        if sample.jsonl && crate::input::is_custom_fields(header) {
            out += &format!(
                "# {} holds custom fields by key; it is read as such without a line here.\n",
                quote(header)
            );
            continue;
        }
        if let Some((shape, rule)) = shape.and_then(|s| Some((s, s.rule(header)?))) {
            let values = match rule.true_values.split_last() {
                Some((last, [])) => format!(" for {last}"),
                Some((last, rest)) => format!(" for {} or {last}", rest.join(", ")),
                None => String::new(),
            };
            out += &format!(
                "# {} gives {}{values} in an object shaped like {}, without a line here (a line would read it so in every object).\n",
                quote(header),
                rule.target,
                shape.name()
            );
            continue;
        }
        let key = quote(header);
        // A second column of one name: TOML cannot hold the key twice, and a mapping file's
        // line names the first such column.
        if headers[..i].iter().any(|h| h == header) {
            let what = match &mapper.columns[i] {
                Some(r) if r.fallback => format!(
                    "a backup for {}, used when the first is empty or not valid",
                    r.target
                ),
                _ => "not imported".to_owned(),
            };
            out += &format!(
                "# {key} (column {}) repeats an earlier column's name: the line above names the first; this one is {what} (rename it in the file to map it apart)\n",
                i + 1
            );
            continue;
        }
        let Some(rule) = &mapper.columns[i] else {
            let auto = if sample.jsonl {
                super::auto_rule_nested(header)
            } else {
                auto_rule(header)
            };
            let why = match auto {
                Some(r) => {
                    let first = headers
                        .iter()
                        .zip(&mapper.columns)
                        .find(|(_, c)| c.as_ref().is_some_and(|c| c.target == r.target))
                        .map_or("another column", |(h, _)| h.as_str());
                    let mut fb = Rule::new(r.target.clone());
                    fb.fallback = true;
                    out += &format!(
                        "# {key} = {}  # not imported: '{first}' already gives {}; uncomment to use this one when '{first}' is empty\n",
                        rule_value(&fb),
                        r.target
                    );
                    continue;
                }
                None if preset_spec.is_some() => {
                    "the preset does not know it and no field has this name".to_owned()
                }
                None => "no HighLevel field by this name; map it to a field, or to \"contact.<key>\" for a custom field".to_owned(),
            };
            out += &format!("# {key} = \"ignore\"  # unmapped: {why}\n");
            continue;
        };
        if let Some((_, label)) = mapper.birth_parts.as_ref().filter(|(p, _)| p.contains(&i)) {
            // Listed, the column would be the user's: the three would no longer make a date.
            out += &format!("# {key} = \"ignore\"  # imported: {label} make the date of birth\n");
            continue;
        }
        let from_preset = !matched.contains(header)
            && preset_spec.is_some_and(|s| {
                s.columns
                    .iter()
                    .any(|(c, r)| r == rule && find_columns(std::slice::from_ref(header), c) == [0])
            });
        let mut why = if from_preset {
            format!(
                "{} preset",
                preset
                    .as_ref()
                    .map_or("the", |(d, _)| d.preset.name.as_str())
            )
        } else {
            match &rule.target {
                Target::CustomField(_) if matched.contains(header) => {
                    "the location's custom field of this name or key".to_owned()
                }
                Target::CustomField(_) => "custom field key (\"contact.\" prefix)".to_owned(),
                Target::Field(f) if header.trim() == f.api_name() => "exact field name".to_owned(),
                Target::Field(f) if normalise(header) == normalise(f.api_name()) => {
                    "field name, ignoring case, spaces and _-.".to_owned()
                }
                Target::Field(f) => format!("alias of {}", f.api_name()),
                Target::Ignore => "ignored".to_owned(),
            }
        };
        if rule.fallback && !from_preset {
            let first = headers
                .iter()
                .zip(&mapper.columns)
                .find(|(_, c)| {
                    c.as_ref()
                        .is_some_and(|c| c.target == rule.target && c.claims())
                })
                .map_or("another column", |(h, _)| h.as_str());
            why += &format!("; a backup: used when '{first}' is empty or not valid");
        }
        let mut suggestions = Vec::new();
        let values: Vec<&str> = sample.values(i).collect();
        match &rule.target {
            Target::Field(Field::DateOfBirth) if rule.date_format.is_none() => {
                if let Some((format, note)) = date_suggestion(&values) {
                    let mut r = rule.clone();
                    r.date_format = format;
                    match r.date_format {
                        Some(_) => suggestions.push((rule_value(&r), note)),
                        None => why += &format!("; {note}"),
                    }
                }
            }
            Target::Field(Field::Tags) => {
                if let Some((sep, n)) = separator(&values) {
                    if rule.split.as_deref() != Some(sep) {
                        let mut r = rule.clone();
                        r.split = Some(sep.to_owned());
                        suggestions.push((
                            rule_value(&r),
                            format!("{n} of {} sampled cells contain '{sep}'", values.len()),
                        ));
                    } else {
                        why += &format!(
                            "; split on '{sep}' ({n} of {} sampled cells contain it)",
                            values.len()
                        );
                    }
                }
            }
            Target::Field(Field::Name) if !rule.split_name && !split_names => {
                let mut r = rule.clone();
                r.split_name = true;
                suggestions.push((
                    rule_value(&r),
                    "full names: also fill firstName and lastName (\"Jane Doe\" → Jane / Doe)"
                        .to_owned(),
                ));
            }
            Target::Field(Field::Email)
                if !rule.lowercase && values.iter().any(|v| v.chars().any(char::is_uppercase)) =>
            {
                let mut r = rule.clone();
                r.lowercase = true;
                suggestions.push((
                    rule_value(&r),
                    "some addresses have capitals; the domain is lowercased anyway".to_owned(),
                ));
            }
            Target::Field(Field::Dnd) if rule.true_values.is_empty() => {
                let odd: Vec<&str> = distinct(&values)
                    .into_iter()
                    .filter(|v| !is_plain_bool(v))
                    .take(5)
                    .collect();
                if !odd.is_empty() {
                    let mut r = rule.clone();
                    r.true_values = odd.iter().map(|v| v.to_lowercase()).collect();
                    suggestions.push((
                        rule_value(&r),
                        "these values are not yes/no; keep the ones that mean do-not-disturb in true_values, move the others to false_values".to_owned(),
                    ));
                }
            }
            _ => {}
        }
        out += &format!("{key} = {}  # {why}\n", rule_value(rule));
        for (value, note) in suggestions {
            out += &format!("# {key} = {value}  # suggested: {note}\n");
        }
    }
    Ok(out)
}

fn quote(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// The TOML for a rule: the short string form when it has no options.
fn rule_value(r: &Rule) -> String {
    let (key, name) = match &r.target {
        Target::Field(f) => ("field", f.api_name().to_owned()),
        Target::CustomField(k) if k.starts_with("contact.") => ("field", k.clone()),
        Target::CustomField(k) => ("custom_field", k.clone()),
        Target::Ignore => ("field", "ignore".to_owned()),
    };
    let mut opts = Vec::new();
    if let Some(s) = &r.split {
        opts.push(format!("split = {}", quote(s)));
    }
    if r.split_name {
        opts.push("split_name = true".to_owned());
    }
    if r.lowercase {
        opts.push("lowercase = true".to_owned());
    }
    if let Some(f) = &r.date_format {
        opts.push(format!("date_format = {}", quote(f)));
    }
    let list = |v: &[String]| v.iter().map(|s| quote(s)).collect::<Vec<_>>().join(", ");
    if !r.true_values.is_empty() {
        opts.push(format!("true_values = [{}]", list(&r.true_values)));
    }
    if !r.false_values.is_empty() {
        opts.push(format!("false_values = [{}]", list(&r.false_values)));
    }
    match (r.fallback, r.order) {
        (true, 0) => opts.push("fallback = true".to_owned()),
        (true, n) => opts.push(format!("fallback = {n}")),
        _ => {}
    }
    if let Some(g) = &r.group {
        opts.push(format!("group = {}", quote(g)));
    }
    if r.filled {
        opts.push("filled = true".to_owned());
    }
    if r.before {
        opts.push("append = \"before\"".to_owned());
    } else if r.append {
        opts.push("append = true".to_owned());
    }
    if r.display_name {
        opts.push("display_name = true".to_owned());
    }
    if let Some(sep) = &r.first_of {
        opts.push(format!("first_of = {}", quote(sep)));
    }
    if !r.skip_row_when.is_empty() {
        opts.push(format!("skip_row_when = [{}]", list(&r.skip_row_when)));
    }
    if let Some(reason) = &r.reason {
        opts.push(format!("reason = {}", quote(reason)));
    }
    if !r.drop.is_empty() {
        opts.push(format!("drop = [{}]", list(&r.drop)));
    }
    if let Some(p) = &r.drop_prefix {
        opts.push(format!("drop_prefix = {}", quote(p)));
    }
    if let Some(n) = &r.note {
        opts.push(format!("note = {}", quote(n)));
    }
    if let Some(why) = &r.left_out {
        opts.push(format!("left_out = {}", quote(why)));
    }
    if opts.is_empty() && key == "field" {
        return quote(&name);
    }
    format!(
        "{{ {key} = {}{} }}",
        quote(&name),
        opts.iter().map(|o| format!(", {o}")).collect::<String>()
    )
}

fn distinct<'a>(values: &[&'a str]) -> Vec<&'a str> {
    let mut seen: Vec<&str> = Vec::new();
    for v in values {
        if !seen.iter().any(|s| s.eq_ignore_ascii_case(v)) {
            seen.push(v);
        }
    }
    seen
}

fn is_plain_bool(v: &str) -> bool {
    matches!(
        v.to_ascii_lowercase().as_str(),
        "true" | "false" | "yes" | "no" | "y" | "n" | "1" | "0"
    )
}

/// The list separator most sampled cells contain, and how many.
fn separator(values: &[&str]) -> Option<(&'static str, usize)> {
    [",", ";", "|"]
        .into_iter()
        .map(|s| (s, values.iter().filter(|v| v.contains(s)).count()))
        .filter(|(_, n)| *n > 0)
        .max_by_key(|(_, n)| *n)
}

/// A `date_format` to suggest (with why), or only a note when none is needed.
fn date_suggestion(values: &[&str]) -> Option<(Option<String>, String)> {
    let (mut day_first, mut month_first, mut both, mut iso, mut sep) = (0, 0, 0, 0, None);
    let mut example_both = None;
    for v in values {
        let date = v.split([' ', 'T']).next().unwrap_or(v);
        let Some(s) = date.chars().find(|c| matches!(c, '/' | '.' | '-')) else {
            continue;
        };
        let parts: Vec<&str> = date.split(s).collect();
        let [a, b, y] = parts.as_slice() else {
            continue;
        };
        if a.len() == 4 {
            iso += 1;
            continue;
        }
        let (Ok(a), Ok(b)) = (a.parse::<u32>(), b.parse::<u32>()) else {
            continue;
        };
        if y.len() != 4 {
            continue;
        }
        sep.get_or_insert(s);
        match (a > 12, b > 12) {
            (true, false) => day_first += 1,
            (false, true) => month_first += 1,
            (false, false) if a != b => {
                both += 1;
                example_both.get_or_insert(*v);
            }
            _ => {}
        }
    }
    let sep = sep.unwrap_or('/');
    let fmt = |order: &str| Some(order.replace('/', &sep.to_string()));
    let n = values.len();
    if day_first > 0 && month_first == 0 {
        return Some((
            fmt("%d/%m/%Y"),
            format!("the dates read day-first ({day_first} of {n} sampled values have a day above 12): the import infers that order for the column from the whole file; the format pins it"),
        ));
    }
    if both > 0 && month_first > 0 && day_first == 0 {
        return Some((
            fmt("%m/%d/%Y"),
            format!("the dates read month-first ({month_first} of {n} sampled values have a day above 12; {both}, e.g. {}, read both ways): the import infers that order for the column from the whole file; the format pins it", example_both.unwrap_or_default()),
        ));
    }
    if both > 0 {
        return Some((
            fmt("%d/%m/%Y"),
            format!("{both} of {n} sampled values (e.g. {}) read both ways and no value settles the order; set the order they are in (\"%d/%m/%Y\" or \"%m/%d/%Y\"), else they are left out", example_both.unwrap_or_default()),
        ));
    }
    (iso > 0 && iso == n).then(|| (None, "dates are YYYY-MM-DD: no format needed".to_owned()))
}
