"""Load config.toml into one typed, validated, frozen Config; every error names its exact key."""

from publisher.config.docs import iter_docs
from publisher.config.explain import Setting, effective_settings
from publisher.config.load import config_from_dict, default_taxonomy_data, load_config
from publisher.config.schema import (
    BUNDLED_TEMPLATES,
    DATABASE_URL_ENV,
    DEFAULT_TAXONOMY_PATH,
    TOP_SECTIONS,
    Config,
    DeliveryConfig,
    DigestConfig,
    DkimConfig,
    FeedsConfig,
    LinkingConfig,
    MailboxConfig,
    ScheduleConfig,
    SiteConfig,
    SmtpConfig,
    SourceConfig,
    StoreConfig,
    WebConfig,
)
from publisher.config.taxonomy import GroupConfig, RegionConfig, TaxonomyConfig, TopicConfig

__all__ = [
    "BUNDLED_TEMPLATES",
    "DATABASE_URL_ENV",
    "DEFAULT_TAXONOMY_PATH",
    "TOP_SECTIONS",
    "Config",
    "DeliveryConfig",
    "DigestConfig",
    "DkimConfig",
    "FeedsConfig",
    "GroupConfig",
    "LinkingConfig",
    "MailboxConfig",
    "RegionConfig",
    "ScheduleConfig",
    "Setting",
    "SiteConfig",
    "SmtpConfig",
    "SourceConfig",
    "StoreConfig",
    "TaxonomyConfig",
    "TopicConfig",
    "WebConfig",
    "config_from_dict",
    "default_taxonomy_data",
    "effective_settings",
    "iter_docs",
    "load_config",
]
