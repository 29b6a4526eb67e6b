"""Dangerous code in text: reverse shells, download-and-execute, destructive
commands, SQL and shell injection payloads, credential theft."""

# ruff: noqa: E501  (regular-expression tables read better one rule per line)

from __future__ import annotations

import re

from redline.detectors.rule_prefilter import RuleNeeds, TextFacts
from redline.guard.scanner import SCANNERS, ScanContext, ScanResult, Side, Span

CODE_CATEGORIES = (
    "reverse_shell",
    "download_exec",
    "destructive",
    "sql_injection",
    "shell_injection",
    "credential_theft",
)

_I = re.IGNORECASE

# (category, pattern, score, rule name)
_RULES: list[tuple[str, re.Pattern[str], float, str]] = [
    ("reverse_shell", re.compile(r"/dev/(?:tcp|udp)/[\w.-]{1,253}/\d{1,5}"), 1.0, "bash /dev/tcp"),
    (
        "reverse_shell",
        re.compile(r"\b(?:nc|ncat|netcat)\b[^\n]{0,80}\s-[a-z]{0,4}[ec]\s*(?:/bin/)?(?:ba|z)?sh\b"),
        1.0,
        "netcat -e shell",
    ),
    (
        "reverse_shell",
        re.compile(r"\bmkfifo\b[^\n]{0,120}\b(?:nc|ncat|netcat|telnet)\b"),
        1.0,
        "mkfifo pipe to netcat",
    ),
    (
        "reverse_shell",
        re.compile(r"socket\.socket\([^\n]{0,200}?(?:\n[^\n]{0,200}){0,6}?os\.dup2\("),
        1.0,
        "python socket dup2",
    ),
    (
        "reverse_shell",
        re.compile(r"\bsocat\b[^\n]{0,100}\bexec:[^\n]{0,40}sh\b", _I),
        1.0,
        "socat exec",
    ),
    (
        "reverse_shell",
        re.compile(r"New-Object\s+System\.Net\.Sockets\.TCPClient", _I),
        0.9,
        "powershell TCPClient",
    ),
    (
        "download_exec",
        re.compile(r"\b(?:curl|wget)\b[^\n|;]{0,200}\|\s{0,4}(?:sudo\s+)?(?:ba|z|da)?sh\b"),
        0.8,
        "curl | sh",
    ),
    (
        "download_exec",
        re.compile(r"\bIEX\b[^\n]{0,40}(?:DownloadString|iwr|Invoke-WebRequest)", _I),
        1.0,
        "powershell IEX download",
    ),
    (
        "download_exec",
        re.compile(
            r"\bpowershell(?:\.exe)?\b[^\n]{0,60}\s-(?:e|enc|encodedcommand)\s+[A-Za-z0-9+/=]{20,}",
            _I,
        ),
        1.0,
        "powershell -enc",
    ),
    (
        "download_exec",
        re.compile(r"\bcertutil\b[^\n]{0,40}-urlcache[^\n]{0,40}-f\b", _I),
        0.9,
        "certutil download",
    ),
    (
        "destructive",
        re.compile(
            r"\brm\s+-(?:[a-z]*r[a-z]*f|[a-z]*f[a-z]*r)[a-z]*\s+(?:--no-preserve-root\s+)?/(?:\*|\s|$)",
            re.M,
        ),
        1.0,
        "rm -rf /",
    ),
    ("destructive", re.compile(r":\(\)\s*\{\s*:\s*\|\s*:\s*&\s*\}\s*;\s*:"), 1.0, "fork bomb"),
    (
        "destructive",
        re.compile(
            r"\b(?:mkfs(?:\.\w+)?|dd\s+if=/dev/(?:zero|random|urandom)\s+of=)/dev/[sh]d[a-z]|\bdd\s+if=/dev/(?:zero|u?random)\s+of=/dev/(?:sd|nvme|hd)"
        ),
        1.0,
        "wipe disk",
    ),
    (
        "destructive",
        re.compile(r"\bformat\s+c:\s*/[qy]|\bvssadmin\b[^\n]{0,30}delete\s+shadows", _I),
        1.0,
        "windows wipe",
    ),
    (
        "sql_injection",
        re.compile(
            r"['\"]\s{0,3}(?:or|and)\s{1,3}['\"]?\w{1,10}['\"]?\s{0,3}=\s{0,3}['\"]?\w{1,10}", _I
        ),
        0.8,
        "tautology",
    ),
    (
        "sql_injection",
        re.compile(
            r"\bunion\s+(?:all\s+)?select\b[^\n]{0,200}(?:--|#|/\*|\bfrom\s+information_schema)", _I
        ),
        0.9,
        "union select",
    ),
    (
        "sql_injection",
        re.compile(
            r"['\"]\s{0,3}\)?\s{0,3};\s{0,3}(?:drop|truncate|delete|shutdown)\b[^\n]{0,80}(?:--|#)",
            _I,
        ),
        1.0,
        "stacked query",
    ),
    (
        "sql_injection",
        re.compile(r"\bxp_cmdshell\b|\bload_file\s*\(|\binto\s+outfile\b", _I),
        0.9,
        "sql file/command access",
    ),
    (
        "shell_injection",
        re.compile(
            r"(?:;|&&|\|\|)\s{0,3}(?:cat|curl|wget|nc|bash|sh|python\d?|perl)\s[^\n]{0,80}(?:/etc/passwd|/etc/shadow|https?://|/bin/sh)"
        ),
        0.8,
        "chained command",
    ),
    (
        "shell_injection",
        re.compile(r"\$\(\s{0,3}(?:curl|wget)\s[^)\n]{1,200}\)|`(?:curl|wget)\s[^`\n]{1,200}`"),
        0.8,
        "command substitution fetch",
    ),
    (
        "credential_theft",
        re.compile(r"\bsekurlsa::\w+|\bmimikatz\b|\blsadump::\w+", _I),
        1.0,
        "mimikatz",
    ),
    (
        "credential_theft",
        re.compile(r"\bprocdump\b[^\n]{0,60}\blsass\b|comsvcs\.dll[^\n]{0,60}MiniDump", _I),
        1.0,
        "lsass dump",
    ),
    (
        "credential_theft",
        re.compile(
            r"(?:cat|type|copy|cp|scp|curl)\b[^\n]{0,80}(?:/etc/shadow|\.aws/credentials|\.ssh/id_(?:rsa|ed25519|ecdsa)\b|Login Data|\.git-credentials|\.netrc)"
        ),
        0.9,
        "read credential store",
    ),
    (
        "credential_theft",
        re.compile(r"\breg(?:\.exe)?\s+save\s+hklm\\(?:sam|system|security)\b", _I),
        1.0,
        "registry hive dump",
    ),
]

# What any match of each rule contains (redline.detectors.rule_prefilter), in
# _RULES order: most texts hold none of it, and the rule is skipped unrun.
_NEEDS: tuple[RuleNeeds, ...] = (
    RuleNeeds(any_of=("/dev/",)),  # bash /dev/tcp
    RuleNeeds(any_of=("nc", "netcat")),  # netcat -e shell
    RuleNeeds(any_of=("mkfifo",)),
    RuleNeeds(any_of=("os.dup2(",)),  # python socket dup2
    RuleNeeds(any_of_lower=("socat",)),
    RuleNeeds(any_of_lower=("tcpclient",)),
    RuleNeeds(any_of=("curl", "wget")),  # curl | sh
    RuleNeeds(any_of_lower=("iex",)),
    RuleNeeds(any_of_lower=("powershell",)),
    RuleNeeds(any_of_lower=("certutil",)),
    RuleNeeds(any_of=("rm",)),  # rm -rf /
    RuleNeeds(any_of=(":()",)),  # fork bomb
    RuleNeeds(any_of=("/dev/",)),  # wipe disk: both alternatives write to /dev/
    RuleNeeds(any_of_lower=("format", "vssadmin")),
    RuleNeeds(any_of=("=",)),  # tautology
    RuleNeeds(any_of_lower=("union",)),
    RuleNeeds(any_of=(";",)),  # stacked query
    RuleNeeds(any_of_lower=("xp_cmdshell", "load_file", "outfile")),
    RuleNeeds(any_of=(";", "&&", "||")),  # chained command
    RuleNeeds(any_of=("$(", "`")),  # command substitution
    RuleNeeds(any_of_lower=("sekurlsa::", "mimikatz", "lsadump::")),
    RuleNeeds(any_of_lower=("procdump", "comsvcs.dll")),
    RuleNeeds(
        any_of=(
            "/etc/shadow",
            ".aws/credentials",
            ".ssh/id_",
            "Login Data",
            ".git-credentials",
            ".netrc",
        )
    ),  # read credential store
    RuleNeeds(any_of_lower=("hklm\\",)),  # registry hive dump
)


def code_rule_needs() -> list[RuleNeeds]:
    """What a match of each rule needs: a text none of them allows has no finding."""
    return list(_NEEDS)


@SCANNERS.register("code_payloads")
class CodePayloadScanner:
    """Rule-based detector of attack code; each hit names the rule that fired."""

    name = "code_payloads"
    sides: frozenset[Side] = frozenset({"input", "output"})
    categories = CODE_CATEGORIES
    redactable = True

    def scan(self, text: str, context: ScanContext) -> ScanResult:
        scores = dict.fromkeys(self.categories, 0.0)
        spans: list[Span] = []
        notes: dict[str, str] = {}
        facts = TextFacts(text)
        for (category, pattern, score, rule), needs in zip(_RULES, _NEEDS, strict=True):
            if not facts.allows(needs):
                continue
            match = pattern.search(text)
            if match is None:
                continue
            spans.append(Span(match.start(), match.end(), category, score))
            if score > scores[category]:
                scores[category] = score
                notes[category] = rule
        spans.sort(key=lambda s: s.start)
        return ScanResult(scores=scores, spans=spans, notes=notes)
