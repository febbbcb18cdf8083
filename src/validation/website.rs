//! What counts as a website: an `http`/`https` link, or a bare host name with a dot
//! (`example.com`, `www.example.com/path`), on a host that could be on the web. Export
//! placeholders (`N/A`, `-`, `none`), other links (`mailto:`, `javascript:`) and markup are
//! not websites and would show as links on the contact.

use url::{Host, Url};

use super::tld;

/// Why the cell is not a website, or `Ok` to send it as written.
pub fn check(t: &str) -> Result<(), String> {
    if t.chars().any(char::is_whitespace) {
        return Err("not a valid website (it contains spaces)".into());
    }
    let lower_start = |p: &str| t.get(..p.len()).is_some_and(|s| s.eq_ignore_ascii_case(p));
    let url = if lower_start("http://") || lower_start("https://") {
        Url::parse(t)
    } else if t.contains("://") {
        return Err(not_a_website("only http and https links are websites"));
    } else {
        Url::parse(&format!("http://{t}"))
    };
    let url = url.map_err(|_| not_a_website("it does not read as a web address"))?;
    // `mailto:a@x.com` read as `http://mailto:a@x.com`: a user and password, not a page.
    if !url.username().is_empty() || url.password().is_some() {
        return Err(not_a_website("it holds a user name or an email address"));
    }
    let Some(Host::Domain(host)) = url.host() else {
        return Err(not_a_website("its host is not a domain name"));
    };
    let host = host.strip_suffix('.').unwrap_or(host);
    if !host.contains('.') {
        return Err(not_a_website("its host has no dot"));
    }
    // The parser lowercased and punycoded the host; what is left is the DNS's rule.
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if !host.split('.').all(label_ok) {
        return Err(not_a_website(
            "its host name holds a character host names cannot",
        ));
    }
    if let Some(tld) = tld::unlisted_tld(host) {
        return Err(not_a_website(&tld::not_a_tld(tld)));
    }
    Ok(())
}

fn not_a_website(why: &str) -> String {
    format!("not a website ({why}; give a link like https://example.com or a host name like example.com)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_and_host_names_are_websites_and_nothing_else_is() {
        for ok in [
            "example.com",
            "www.example.com/path",
            "https://example.com",
            "HTTP://Example.COM/a?b=c#d",
            "http://example.com:8080/",
            "sub.example.co.uk",
            "bücher.de",
            "https://example.com.",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
        for (bad, why) in [
            ("N/A", "has no dot"),
            ("-", "has no dot"),
            ("none", "has no dot"),
            ("x", "has no dot"),
            ("javascript:alert(1)", "does not read as a web address"),
            ("<script>x</script>", "does not read as a web address"),
            ("mailto:a@x.com", "user name or an email address"),
            ("ann@example.com", "user name or an email address"),
            ("http://exa_mple.com", "character host names cannot"),
            ("ftp://example.com", "only http and https"),
            ("http://192.168.1.1", "not a domain name"),
            ("example.con", "'.con' is not a top-level domain"),
            ("my site.com", "contains spaces"),
            ("http://", "does not read as a web address"),
        ] {
            let e = check(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }
}
