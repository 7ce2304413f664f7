"""Tags on the product's Config rules, which CloudFormation cannot set: the guardrail SCP's mark."""

from constructs_lib.rule_tags.construct import ConfigRuleTags, ConfigRuleTagsProps

__all__ = ["ConfigRuleTags", "ConfigRuleTagsProps"]
