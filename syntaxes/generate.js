// Writes the two TextMate grammars in this folder from readable pieces:
//   node -r esbuild-register syntaxes/generate.js [outdir]   (default: syntaxes/)
// The JSON files are committed (VS Code reads them); test/grammar checks they match this script.
// The xl.cfg known-key list comes from src/language/xlKeys.ts; the asm mnemonic regexes are
// written compactly here and checked against src/language/instructions.ts by the tests.
const fs = require("fs");
const path = require("path");
const { XL_KEYS } = require("../src/language/xlKeys");

const ID_START = "[A-Za-z_?@$]";
const ID = "[\\w$#@~.?]";
const B = "(?<![\\w.$%@?#~])"; // not inside another identifier
const E = `(?!${ID})`;
const CC = "(?:n?(?:[abcegloszp]|ae|be|ge|le)|pe|po)";
const general = [
  "cmpxchg8b", "cmpxchg", `cmov${CC}`, `set${CC}`, "(?:movs|cmps|scas|lods|stos|ins|outs)[bwd]",
  "pusha|pushad|pushf|pushfd|popa|popad|popf|popfd|push|pop",
  "movsx|movzx|mov|xchg|xadd|bswap|lea|lds|les|lfs|lgs|lss|cbw|cwde|cwd|cdq|xlatb?|lahf|sahf|in|out",
  "add|adc|sub|sbb|cmp|neg|inc|dec|i?mul|i?div|daa|das|aaa|aas|aam|aad",
  "and|or|xor|not|test",
  "shl|sal|shr|sar|shld|shrd|rol|ror|rcl|rcr",
  "bt|bts|btr|btc|bsf|bsr",
  "stc|clc|cmc|std|cld|sti|cli",
].join("|");
const control = [`j${CC}`, "jmp|jcxz|jecxz|loop|loopn?[ez]|call|ret|retn|retf|iretd?|int[13]?|icebp|into|bound|enter|leave"].join("|");
const system = "nop|pause|ud2|cpuid|rdtsc|rdpmc|rdmsr|wrmsr|hlt|f?wait|[lms]fence|clflush|[ls]gdt|[ls]idt|[ls]ldt|ltr|str|lmsw|smsw|clts|arpl|lar|lsl|verr|verw|invd|wbinvd|invlpg|rsm|sysenter|sysexit|vmcall|vmlaunch|vmresume|vmxon|vmxoff|vmptrld|vmptrst|vmclear|vmread|vmwrite";
const prefix = "lock|rep|repn?[ez]|[oa](?:16|32)";
const hypercalls = "set_trap_table|mmu_update|set_gdt|stack_switch|set_callbacks|fpu_taskswitch|sched_op_compat|platform_op|set_debugreg|get_debugreg|update_descriptor|memory_op|multicall|update_va_mapping|set_timer_op|event_channel_op_compat|xen_version|console_io|physdev_op_compat|grant_table_op|vm_assist|update_va_mapping_otherdomain|iret|vcpu_op|set_segment_base|mmuext_op|xsm_op|nmi_op|sched_op|callback_op|xenoprof_op|event_channel_op|physdev_op|hvm_op|sysctl|domctl|kexec_op|tmem_op|argo_op|xenpmu_op|dm_op|hypfs_op";
const xenConst = "(?:CALLBACKF|CALLBACKOP|CALLBACKTYPE|CONSOLEIO|DOMID|EVTCHNOP|EVTCHNSTAT|EVTCHN|FLAT|GNTMAP|GNTST|GNTTABOP|GNTTAB|GTF|HVMOP|HVM|MACH2PHYS|MMUEXT|MMU|RUNSTATE|SCHEDOP|SHUTDOWN|SIF|UVMF|VCPUOP|VCPU|VIRQ|VMASST|XENFEAT|XENMAPIDX|XENMAPSPACE|XENMEM|XENVER|XEN|HYPERVISOR_VIRT)_\\w+|HYPERVISOR_VIRT_START|MAX_GUEST_CMDLINE|NR_VIRQS";

const n = (name) => `${name}.xen-asm`;
const grammar = {
  $schema: "https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json",
  name: "NASM (xensim guest)",
  scopeName: "source.xen-asm",
  comment: "NASM-syntax IA-32 guest sources for xensim. Mnemonic lists mirror src/language/instructions.ts (a test keeps them in step).",
  patterns: [
    { include: "#comment" },
    { include: "#preprocessor" },
    { include: "#label-definition" },
    { include: "#struc" },
    { include: "#section" },
    { include: "#data" },
    { include: "#instruction" },
    { include: "#directive" },
    { include: "#operand" },
    { include: "#string" },
  ],
  repository: {
    comment: {
      match: "(;).*$",
      name: n("comment.line.semicolon"),
      captures: { 1: { name: n("punctuation.definition.comment") } },
    },
    "label-definition": {
      patterns: [
        { match: `^\\s*(%%${ID}+)\\s*(:)`, captures: { 1: { name: n("entity.name.label.macro-local") }, 2: { name: n("punctuation.separator.label") } } },
        { match: `^\\s*(\\.${ID}+)\\s*(:)`, captures: { 1: { name: n("entity.name.label.local") }, 2: { name: n("punctuation.separator.label") } } },
        { match: `^\\s*(${ID_START}${ID}*)\\s*(:)`, captures: { 1: { name: n("entity.name.label") }, 2: { name: n("punctuation.separator.label") } } },
        { comment: "name equ value", match: `(?i)^\\s*((?:%%|\\.)?${ID_START}${ID}*|\\.${ID}+)(?=\\s+equ${E})`, captures: { 1: { name: n("entity.name.constant") } } },
        { comment: "a label without a colon in front of data or reserve", match: `(?i)^\\s*((?:%%)?${ID_START}${ID}*|\\.${ID}+)(?=\\s+(?:times|d[bwdqto]|res[bwdqto])${E})`, captures: { 1: { name: n("entity.name.label") } } },
      ],
    },
    preprocessor: {
      patterns: [
        {
          match: `(?i)^\\s*((%)i?x?(?:define|assign|defstr|deftok))\\s+(${ID_START}${ID}*|\\.${ID}+)`,
          captures: { 1: { name: n("keyword.control.directive.define") }, 2: { name: n("punctuation.definition.directive") }, 3: { name: n("entity.name.function.preprocessor") } },
        },
        {
          match: `(?i)^\\s*((%)i?r?macro)\\s+(${ID_START}${ID}*|\\.${ID}+)`,
          captures: { 1: { name: n("keyword.control.directive.macro") }, 2: { name: n("punctuation.definition.directive") }, 3: { name: n("entity.name.function.macro") } },
        },
        {
          match: `(?i)((%)(?:include|depend|pathsearch))${E}`,
          captures: { 1: { name: n("keyword.control.directive.include") }, 2: { name: n("punctuation.definition.directive") } },
        },
        {
          match: `(?i)((%)(?:el)?ifn?(?:def|macro|idni?|id|num|str|ctx|token|empty|env|usable|usable)?|(%)(?:else|endif|endm|endmacro|unmacro|undef|rep|endrep|exitrep|exitmacro|error|warning|fatal|push|pop|repl|rotate|local|stacksize|arg|strlen|strcat|substr|line|pragma|use|clear|undef|unimacro))${E}`,
          captures: { 1: { name: n("keyword.control.directive") }, 2: { name: n("punctuation.definition.directive") }, 3: { name: n("punctuation.definition.directive") } },
        },
      ],
    },
    "macro-reference": {
      patterns: [
        { match: `%%${ID}+`, name: n("variable.other.label.macro-local") },
        { match: "%[+-]?\\d+|%\\{[+-]?\\d+(?::[+-]?\\d+)?\\}", name: n("variable.parameter.macro") },
        { match: `%\\$+${ID}+`, name: n("variable.other.context-local") },
        { match: "%\\?\\??", name: n("variable.language.macro-name") },
        { match: "%\\+", name: n("keyword.operator.paste") },
        { match: "__\\??(?:FILE|LINE|BITS|PASS|NASM_VERSION|NASM_MAJOR|NASM_MINOR|OUTPUT_FORMAT|SECT|DATE|TIME)\\??__", name: n("support.constant.builtin") },
      ],
    },
    struc: {
      patterns: [
        { match: `(?i)${B}(struc|istruc)\\s+(${ID_START}${ID}*)`, captures: { 1: { name: n("keyword.directive.struc") }, 2: { name: n("entity.name.type.struct") } } },
        { match: `(?i)${B}(endstruc|iend)${E}`, name: n("keyword.directive.struc") },
        { match: `(?i)^\\s*(at)\\s+(${ID_START}${ID}*)`, captures: { 1: { name: n("keyword.directive.struc") }, 2: { name: n("variable.other.member") } } },
      ],
    },
    section: {
      match: `(?i)${B}(section|segment)\\s+(${ID}+)`,
      captures: { 1: { name: n("keyword.directive.section") }, 2: { name: n("entity.name.section") } },
    },
    data: {
      comment: "db/dw/dd/dq/dt/do and resb...: quoted text here is string data",
      begin: `(?i)${B}(?:(d[bwdqto])|(res[bwdqto]))${E}`,
      beginCaptures: { 1: { name: n("storage.type.data") }, 2: { name: n("storage.type.reserve") } },
      end: "(?=;)|$",
      name: n("meta.data"),
      patterns: [{ include: "#string" }, { include: "#operand" }],
    },
    instruction: {
      begin: `(?i)${B}(?:(${control})|(${system})|(${general}))${E}`,
      beginCaptures: {
        1: { name: n("keyword.control.mnemonic") },
        2: { name: n("keyword.mnemonic.system") },
        3: { name: n("keyword.mnemonic") },
      },
      end: "(?=;)|$",
      name: n("meta.instruction"),
      patterns: [{ include: "#character" }, { include: "#operand" }],
    },
    directive: {
      patterns: [
        { match: `(?i)${B}(${prefix})${E}`, name: n("keyword.mnemonic.prefix") },
        { match: `(?i)${B}(times)${E}`, name: n("keyword.directive.times") },
        { match: `(?i)${B}(equ)${E}`, name: n("keyword.directive.equ") },
        { match: `(?i)${B}(bits|use16|use32|org|align|alignb|global|extern|common|static|absolute|cpu|default|incbin|warning|float)${E}`, name: n("keyword.directive") },
      ],
    },
    operand: {
      patterns: [
        { include: "#comment" },
        { include: "#macro-reference" },
        { include: "#register" },
        { include: "#size" },
        { include: "#hypercall" },
        { include: "#number" },
        { include: "#location" },
        { include: "#operator" },
      ],
    },
    register: {
      patterns: [
        { match: `(?i)${B}(?:e?[abcd]x|[abcd][lh]|e?(?:sp|bp|si|di))${E}`, name: n("variable.language.register.general") },
        { match: `(?i)${B}[cdefgs]s${E}`, name: n("variable.language.register.segment") },
        { match: `(?i)${B}cr[0-7]${E}`, name: n("variable.language.register.control") },
        { match: `(?i)${B}dr[0-7]${E}`, name: n("variable.language.register.debug") },
      ],
    },
    size: {
      patterns: [
        { match: `(?i)${B}(?:byte|word|dword|qword|tword|oword|fword|yword)${E}`, name: n("storage.modifier.size") },
        { match: `(?i)${B}(?:short|near|far|strict|nosplit|rel|abs|seg|wrt)${E}`, name: n("storage.modifier") },
      ],
    },
    hypercall: {
      patterns: [
        { match: `${B}__HYPERVISOR_\\w*`, name: n("support.function.hypercall") },
        { comment: "xen.inc's hypercall macros", match: `${B}(?:HYPERCALL[1-5]?|HYPERCALL_INT82|INT82_[1-5])${E}`, name: n("support.function.macro.hypercall") },
        { match: `${B}(?:${hypercalls})${E}`, name: n("support.function.hypercall") },
        { match: `${B}(?:${xenConst})${E}`, name: n("support.constant.xen") },
      ],
    },
    number: {
      comment: "every NASM integer form (prefix 0x 0h $0 0o 0q 0b 0y 0d; suffix h q o b y d; _ separators) and simple floats",
      patterns: [
        { match: `(?i)${B}(?:0[xh][0-9a-f_]+|[0-9][0-9a-f_]*h|\\$[0-9][0-9a-f_]*)${E}`, name: n("constant.numeric.hex") },
        { match: `(?i)${B}(?:0[by][01_]+|[01][01_]*[by])${E}`, name: n("constant.numeric.binary") },
        { match: `(?i)${B}(?:0[oq][0-7_]+|[0-7][0-7_]*[oq])${E}`, name: n("constant.numeric.octal") },
        { match: `(?i)${B}(?:[0-9][0-9_]*\\.[0-9_]*(?:e[+-]?[0-9]+)?|[0-9][0-9_]*e[+-]?[0-9]+)${E}`, name: n("constant.numeric.float") },
        { match: `(?i)${B}(?:0d[0-9_]+|[0-9][0-9_]*d?)${E}`, name: n("constant.numeric.decimal") },
      ],
    },
    location: {
      match: "\\$\\$|\\$(?![\\w$#@~.?])",
      name: n("variable.language.location"),
    },
    operator: {
      patterns: [
        { match: "<<<?|>>>?|//|%%|[-+*/%|&^~!]|<=>|[<>]=?|==|!=|&&|\\|\\|", name: n("keyword.operator") },
        { match: "\\[", name: n("punctuation.definition.memory.begin") },
        { match: "\\]", name: n("punctuation.definition.memory.end") },
        { match: ",", name: n("punctuation.separator.operand") },
        { match: ":", name: n("punctuation.separator.segment") },
      ],
    },
    character: {
      comment: "a quoted string where a number is expected (instruction operand) is a character constant",
      patterns: [
        { match: "'[^']*'", name: n("constant.character.quoted.single") },
        { match: "\"[^\"]*\"", name: n("constant.character.quoted.double") },
        { begin: "`", end: "`", name: n("constant.character.quoted.backtick"), patterns: [{ include: "#escape" }] },
      ],
    },
    string: {
      patterns: [
        { begin: "\"", end: "\"|$", name: n("string.quoted.double"), beginCaptures: { 0: { name: n("punctuation.definition.string.begin") } }, endCaptures: { 0: { name: n("punctuation.definition.string.end") } } },
        { begin: "'", end: "'|$", name: n("string.quoted.single"), beginCaptures: { 0: { name: n("punctuation.definition.string.begin") } }, endCaptures: { 0: { name: n("punctuation.definition.string.end") } } },
        { begin: "`", end: "`|$", name: n("string.quoted.backtick"), beginCaptures: { 0: { name: n("punctuation.definition.string.begin") } }, endCaptures: { 0: { name: n("punctuation.definition.string.end") } }, patterns: [{ include: "#escape" }] },
      ],
    },
    escape: {
      match: "\\\\(?:[\\\\'\"`?abtnvfre]|[0-7]{1,3}|x[0-9A-Fa-f]{1,2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8})",
      name: n("constant.character.escape"),
    },
  },
};

const keys = XL_KEYS.map((k) => k.key).sort((a, b) => b.length - a.length || a.localeCompare(b)).join('|');
const x = (s) => `${s}.xl-cfg`;
const xlGrammar = {
  $schema: "https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json",
  name: "xl domain configuration",
  scopeName: "source.xl-cfg",
  comment: "xl.cfg(5): KEY = VALUE pairs separated by newlines or ';'. The known-key list mirrors src/language/xlKeys.ts (a test keeps them in step).",
  patterns: [{ include: "#comment" }, { include: "#setting" }, { include: "#value" }],
  repository: {
    comment: { match: "(#).*$", name: x("comment.line.number-sign"), captures: { 1: { name: x("punctuation.definition.comment") } } },
    setting: {
      begin: "(?:^|(?<=;))\\s*(?:(" + keys + ")|([A-Za-z_][\\w.]*))\\s*(\\+?=)",
      beginCaptures: {
        1: { name: x("support.type.property-name.known") },
        2: { name: x("variable.other.property.unknown") },
        3: { name: x("keyword.operator.assignment") },
      },
      end: "(;)|(?=#)|$",
      endCaptures: { 1: { name: x("punctuation.terminator.setting") } },
      name: x("meta.setting"),
      patterns: [{ include: "#value" }],
    },
    value: {
      patterns: [
        { include: "#comment" },
        { include: "#string" },
        { include: "#number" },
        { include: "#list" },
        { match: ",", name: x("punctuation.separator.list") },
        { match: ";", name: x("punctuation.terminator.setting") },
      ],
    },
    list: {
      begin: "\\[",
      end: "\\]",
      beginCaptures: { 0: { name: x("punctuation.section.list.begin") } },
      endCaptures: { 0: { name: x("punctuation.section.list.end") } },
      name: x("meta.list"),
      patterns: [{ include: "#value" }],
    },
    string: {
      patterns: [
        { begin: "\"", end: "\"|$", name: x("string.quoted.double"), beginCaptures: { 0: { name: x("punctuation.definition.string.begin") } }, endCaptures: { 0: { name: x("punctuation.definition.string.end") } }, patterns: [{ include: "#escape" }] },
        { begin: "'", end: "'|$", name: x("string.quoted.single"), beginCaptures: { 0: { name: x("punctuation.definition.string.begin") } }, endCaptures: { 0: { name: x("punctuation.definition.string.end") } }, patterns: [{ include: "#escape" }] },
      ],
    },
    escape: { match: "\\\\(?:[\\\\'\"abfnrtv]|[0-7]{1,3}|x[0-9A-Fa-f]+)", name: x("constant.character.escape") },
    number: {
      patterns: [
        { match: "(?<![\\w.])0[xX][0-9A-Fa-f]+(?![\\w.])", name: x("constant.numeric.hex") },
        { match: "(?<![\\w.])0[0-7]+(?![\\w.])", name: x("constant.numeric.octal") },
        { match: "(?<![\\w.])[0-9]+(?:\\.[0-9]+)?(?![\\w.])", name: x("constant.numeric.decimal") },
      ],
    },
  },
};

const out = process.argv[2] || __dirname;
fs.writeFileSync(path.join(out, "xen-asm.tmLanguage.json"), JSON.stringify(grammar, null, 2) + "\n");
fs.writeFileSync(path.join(out, "xl-cfg.tmLanguage.json"), JSON.stringify(xlGrammar, null, 2) + "\n");
