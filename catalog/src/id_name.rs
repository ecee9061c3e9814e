//! The rules for requirement ids and the names of their constants. Shared with `build.rs`
//! (which generates [`crate::ids`] from them), so this file uses nothing but `std`.

/// `^[a-z][A-Za-z0-9-]*(\.[A-Za-z0-9][A-Za-z0-9-]*)+$`
pub fn valid_id(id: &str) -> bool {
    let mut segments = id.split('.');
    let Some(first) = segments.next() else {
        return false;
    };
    let seg_ok = |s: &str, first_lower: bool| {
        let mut cs = s.chars();
        match cs.next() {
            Some(c) if first_lower && c.is_ascii_lowercase() => {}
            Some(c) if !first_lower && c.is_ascii_alphanumeric() => {}
            _ => return false,
        }
        cs.all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    let mut rest = 0;
    for s in segments {
        if !seg_ok(s, false) {
            return false;
        }
        rest += 1;
    }
    seg_ok(first, true) && rest > 0
}

/// The name of the constant in [`crate::ids`] for a valid id: words in upper case joined by
/// `_`, where dots and hyphens separate words and so do camelCase humps
/// (`config.process.consoleSize.ignored-without-terminal` is
/// `CONFIG_PROCESS_CONSOLE_SIZE_IGNORED_WITHOUT_TERMINAL`, `linux.resources.memory.kernelTCP`
/// is `LINUX_RESOURCES_MEMORY_KERNEL_TCP`, `linux.intelRdt.l3CacheSchema` is
/// `LINUX_INTEL_RDT_L3_CACHE_SCHEMA`).
///
/// Different ids can share a name (`a.b-c` and `a.bC` both give `A_B_C`); the catalog rejects
/// such a pair.
pub fn const_name(id: &str) -> String {
    let mut out = String::with_capacity(id.len() + 8);
    let chars: Vec<char> = id.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == '.' || c == '-' {
            out.push('_');
            continue;
        }
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            // A hump: `consoleSize`, `l3Cache`; or the last capital of an acronym that starts
            // the next word: `TCPInfo` -> `TCP_INFO`.
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                out.push('_');
            }
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}
