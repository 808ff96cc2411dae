//! The message catalogue: every word the interface shows comes from `locales/`,
//! in English or Simplified Chinese, by the user's preference, else Accept-Language.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    pub fn code(&self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }

    /// The name of the language in itself, for the picker.
    pub fn native_name(&self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Zh => "简体中文",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        let c = code.trim().to_ascii_lowercase();
        if c == "en" || c.starts_with("en-") {
            Some(Lang::En)
        } else if c == "zh" || c.starts_with("zh-") {
            Some(Lang::Zh)
        } else {
            None
        }
    }

    /// The best of our languages for an Accept-Language header; English when none fits.
    pub fn from_accept_language(header: &str) -> Self {
        accept_language::parse(header)
            .iter()
            .find_map(|tag| Lang::parse(tag))
            .unwrap_or_default()
    }

    pub fn t(&self, key: &str) -> String {
        rust_i18n::t!(key, locale = self.code()).into_owned()
    }

    /// A message with `%{name}` placeholders filled in.
    pub fn t_with(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut text = self.t(key);
        for (name, value) in args {
            text = text.replace(&format!("%{{{name}}}"), value);
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_ours() {
        assert_eq!(
            Lang::from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"),
            Lang::Zh
        );
        assert_eq!(Lang::from_accept_language("fr-FR,en;q=0.5"), Lang::En);
        assert_eq!(Lang::from_accept_language("fr"), Lang::En);
        assert_eq!(Lang::from_accept_language(""), Lang::En);
    }

    #[test]
    fn both_catalogues_translate() {
        assert_eq!(Lang::En.t("nav.incidents"), "Incidents");
        assert_eq!(Lang::Zh.t("nav.incidents"), "事件");
        assert_eq!(
            Lang::En.t_with("incidents.count", &[("n", "3")]),
            "3 incidents"
        );
    }
}
