export * from './rule.js';
export { mergeRuleSets, parseRules } from './parse-rules.js';
export { parseIptablesSave } from './parse-iptables-save.js';
export { parseIptablesList } from './parse-iptables-list.js';
export { parseNftRuleset } from './parse-nft.js';
export { attributeRule, attributeRules, findRewriteRules, ruleRefsText, forwardDropRule, prerouteDnatRule, protoName, inPrefix, type ForwardedPacket, type HopToAttribute, type HopTuple, type AttributeOptions } from './attribute-rule.js';
export { findContradictions, type Contradiction, type ContradictionOptions } from './find-contradictions.js';
export { mergeConntrack, parseConntrack, corroborate, findEntry, findEntryByReply, NAT_AFTER_CAPTURE, NAT_BEFORE_CAPTURE, type ConntrackEntry, type ConntrackTuple, type Corroboration, type CorroborateOptions } from './conntrack.js';
export { familyGapText, rulesReadText } from './ruleset-summary.js';
