//! The screens' words: Fluent message files (`assets/i18n/vi.ftl`, `en.ftl`), compiled into the
//! binary and parsed once. Vietnamese first; English second. Templates hold no text of their own:
//! they ask [`Messages::get`] by key.

use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};

/// A language of the screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Tiếng Việt (the default).
    Vi,
    /// English.
    En,
}

impl Lang {
    /// The cookie that remembers a person's choice.
    pub const COOKIE: &'static str = "motcua-lang";

    /// From a cookie or form value; Vietnamese for anything else.
    pub fn parse(text: Option<&str>) -> Self {
        match text.map(str::trim) {
            Some("en") => Self::En,
            _ => Self::Vi,
        }
    }

    /// The BCP 47 tag (`lang` attribute, cookie value).
    pub fn tag(self) -> &'static str {
        match self {
            Self::Vi => "vi",
            Self::En => "en",
        }
    }
}

/// One language's messages.
pub struct Messages {
    bundle: FluentBundle<FluentResource>,
}

impl Messages {
    /// The messages of `lang` (parsed at first use).
    pub fn of(lang: Lang) -> &'static Messages {
        static VI: OnceLock<Messages> = OnceLock::new();
        static EN: OnceLock<Messages> = OnceLock::new();
        match lang {
            Lang::Vi => {
                VI.get_or_init(|| Self::load("vi", include_str!("../../../assets/i18n/vi.ftl")))
            }
            Lang::En => {
                EN.get_or_init(|| Self::load("en", include_str!("../../../assets/i18n/en.ftl")))
            }
        }
    }

    fn load(tag: &str, source: &str) -> Self {
        // The files are ours and checked by a test: a broken one fails the suite, not a page.
        let resource = FluentResource::try_new(source.to_owned()).unwrap_or_else(|(r, _)| r);
        let mut bundle = FluentBundle::new_concurrent(vec![tag.parse().unwrap_or_default()]);
        // No Unicode isolation marks around arguments: they show as boxes in some fonts.
        bundle.set_use_isolating(false);
        let _ = bundle.add_resource(resource);
        Self { bundle }
    }

    /// The message `key`, or the key itself when missing (visible, never a panic).
    pub fn get(&self, key: &str) -> String {
        self.format(key, None)
    }

    /// The message `key` with one argument.
    pub fn with(&self, key: &str, name: &str, value: &str) -> String {
        let mut args = FluentArgs::new();
        args.set(name, value.to_owned());
        self.format(key, Some(&args))
    }

    /// The message `key` with several arguments.
    pub fn with_args(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut fluent = FluentArgs::new();
        for (name, value) in args {
            fluent.set(*name, (*value).to_owned());
        }
        self.format(key, Some(&fluent))
    }

    fn format(&self, key: &str, args: Option<&FluentArgs>) -> String {
        let Some(pattern) = self.bundle.get_message(key).and_then(|m| m.value()) else {
            return key.to_owned();
        };
        let mut errors = Vec::new();
        self.bundle
            .format_pattern(pattern, args, &mut errors)
            .into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_parse_and_have_the_same_messages() {
        let keys = |source: &str| -> Vec<String> {
            let resource = FluentResource::try_new(source.to_owned()).expect("parses");
            resource
                .entries()
                .filter_map(|e| match e {
                    fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
                    _ => None,
                })
                .collect()
        };
        let vi = keys(include_str!("../../../assets/i18n/vi.ftl"));
        let en = keys(include_str!("../../../assets/i18n/en.ftl"));
        assert!(!vi.is_empty());
        assert_eq!(vi, en, "every message in both languages, in the same order");
    }

    #[test]
    fn messages_take_their_arguments_plainly() {
        let vi = Messages::of(Lang::Vi);
        assert_eq!(vi.with("welcome", "name", "Bình"), "Xin chào, Bình");
        assert_eq!(Messages::of(Lang::En).get("sign-in-button"), "Sign in");
        assert_eq!(vi.get("no-such-key"), "no-such-key");
    }
}
