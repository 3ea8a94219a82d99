// The supervisor's console: one page, routed by the URL's fragment, that
// reads everything through the JSON API (POST /api/v1/<rpc>, the same RPCs
// and the same gate as gRPC) and follows the log live (GET /api/v1/live).
// No data is ever put into the page as HTML: every element is built with
// el(), text as text. Figures carry data-* attributes with the values the
// API gave, so that tests read exactly what is shown.
"use strict";

// ---- Words, in Chinese and English ----------------------------------------

const WORDS = {
  zh: {
    brand: "投诉台账", today: "今日", stations: "站点月报", analysis: "月度分析",
    agents: "坐席考核", ledger: "台账", complaint: "投诉", signout: "退出",
    other_lang: "English", signin: "登录", signin_help:
      "粘贴身份提供方签发的令牌（JWT）。会话随令牌到期而结束。",
    token: "令牌", signed_in_as: "已登录：", position: "日志位置",
    as_of: "截至日志位置", live: "实时", live_off: "未连接",
    QUEUE_KIND_OPEN_BY_OWNER: "我的/负责人未结", QUEUE_KIND_ASSISTS_PENDING: "协办待复",
    QUEUE_KIND_REVISITS_DUE: "待回访", QUEUE_KIND_SIGN_OFFS_WAITING: "待签结",
    QUEUE_KIND_PAPERWORK_PENDING: "待补单", QUEUE_KIND_ESCALATIONS_WAITING: "待总经理决定",
    QUEUE_KIND_IMPORTANT: "重要投诉", QUEUE_KIND_OVERDUE: "已超期",
    owner: "负责人", due: "期限", due_what: "事项", stage: "阶段", severity: "性质",
    station: "站点", overdue: "超期", due_today: "今日到期", more: "另有 %d 条",
    open_complaint: "打开投诉", go: "打开", month: "月份", name: "名称",
    complaints: "投诉数", copies: "份数", ratio: "万份比", rank: "排名",
    repeat: "重复", malicious: "恶意", penalty: "处罚（元）",
    not_charged: "不计处罚（元）", total: "合计", export_xlsx: "导出 Excel",
    print: "打印处罚汇总表", ratio_trend: "各站点万份比（近12个月）",
    penalty_sheet: "月处罚汇总表", prepared_by: "制表人", checked_by: "审核",
    centre_head_sign: "客服中心负责人", management_sign: "公司分管领导",
    date: "日期", special_period: "特殊时期：本月不计处罚",
    kpis: "关键指标", target: "目标", pass: "达标", fail: "未达标",
    no_data: "无数据", pending: "进行中", prev_month: "环比上月",
    last_year: "同比去年", trend: "近12个月趋势", breakdowns: "分布",
    by_kind: "按信息类型", by_category: "按投诉类别", by_channel: "按渠道",
    by_station: "按站点", by_department: "按部门", by_importance: "按重要性",
    cases: "受理量", agent: "坐席", cases_owned: "负责件数", repeat_cases: "重复投诉",
    sample_quota: "月终回访应访", sample_done: "月终回访已访",
    assessment_total: "考核总分", months_below: "连续未达标月数",
    replies: "答复", replies_on_time: "按时答复", revisits: "回访",
    revisits_on_time: "按时回访", revisits_satisfied: "满意回访",
    reply_on_time_rate: "答复及时率", revisit_on_time_rate: "回访及时率",
    satisfaction_rate: "满意率", log_head: "日志末端", last_hash: "最后哈希",
    write_health: "写入状态", checkpoint: "最新签名检查点", tree_size: "树大小",
    root_hash: "根哈希", no_checkpoint: "无签名检查点", projections: "投影",
    checkpoint_pos: "检查点", lag: "滞后", skipped: "跳过", error: "错误",
    state: "状态", deadlines: "期限", timeline: "时间线", linked: "关联投诉",
    customer: "客户", time: "时间", event: "事件", actor: "操作人",
    met: "已完成", open: "未到期", received: "受理时间", channel: "渠道",
    kind: "类型", category: "类别", importance: "重要性", track: "处理方式",
    reply_due: "答复期限", revisit_due: "回访期限", assist_due: "协办期限",
    paperwork_due: "补单期限", assist_requests: "协办请求", none: "无",
    details: "详情", sign_off: "签结", loading: "加载中…",
    forbidden: "无权查看", not_signed_in: "请先登录",
  },
  en: {
    brand: "Complaint ledger", today: "Today", stations: "Stations",
    analysis: "Month analysis", agents: "Agents", ledger: "Ledger",
    complaint: "Complaint", signout: "Sign out", other_lang: "中文",
    signin: "Sign in", signin_help:
      "Paste a token (JWT) issued by the site's identity provider. The session ends when the token expires.",
    token: "Token", signed_in_as: "Signed in as ", position: "log position",
    as_of: "as of log position", live: "live", live_off: "not connected",
    QUEUE_KIND_OPEN_BY_OWNER: "Open by owner", QUEUE_KIND_ASSISTS_PENDING: "Assists pending",
    QUEUE_KIND_REVISITS_DUE: "Revisits due", QUEUE_KIND_SIGN_OFFS_WAITING: "Sign-offs waiting",
    QUEUE_KIND_PAPERWORK_PENDING: "Paperwork pending",
    QUEUE_KIND_ESCALATIONS_WAITING: "Escalations waiting",
    QUEUE_KIND_IMPORTANT: "Important", QUEUE_KIND_OVERDUE: "Overdue",
    owner: "Owner", due: "Due", due_what: "What", stage: "Stage",
    severity: "Severity", station: "Station", overdue: "overdue",
    due_today: "due today", more: "%d more", open_complaint: "Open complaint",
    go: "Open", month: "Month", name: "Name", complaints: "Complaints",
    copies: "Copies", ratio: "Per 10,000", rank: "Rank", repeat: "Repeat",
    malicious: "Malicious", penalty: "Penalty (CNY)",
    not_charged: "Not charged (CNY)", total: "Total",
    export_xlsx: "Export to Excel", print: "Print the penalty table",
    ratio_trend: "Ratio per 10,000 copies, last 12 months",
    penalty_sheet: "Monthly penalty summary", prepared_by: "Prepared by",
    checked_by: "Checked by", centre_head_sign: "Head of the service centre",
    management_sign: "Management", date: "Date",
    special_period: "Special period: no penalty is charged this month",
    kpis: "KPIs", target: "target", pass: "pass", fail: "fail",
    no_data: "no data", pending: "pending", prev_month: "previous month",
    last_year: "same month last year", trend: "12-month trend",
    breakdowns: "Breakdowns", by_kind: "By kind", by_category: "By category",
    by_channel: "By channel", by_station: "By station",
    by_department: "By department", by_importance: "By importance",
    cases: "Cases", agent: "Agent", cases_owned: "Cases owned",
    sample_quota: "Month-end sample", sample_done: "Called back",
    assessment_total: "Assessment (of 100)", months_below: "Months below standard",
    repeat_cases: "Repeat cases", replies: "Replies",
    replies_on_time: "Replies on time", revisits: "Revisits",
    revisits_on_time: "Revisits on time", revisits_satisfied: "Satisfied",
    reply_on_time_rate: "Reply on time", revisit_on_time_rate: "Revisit on time",
    satisfaction_rate: "Satisfaction", log_head: "End of the log",
    last_hash: "Last hash", write_health: "Write path",
    checkpoint: "Latest signed checkpoint", tree_size: "Tree size",
    root_hash: "Root hash", no_checkpoint: "No signed checkpoint",
    projections: "Projections", checkpoint_pos: "Checkpoint", lag: "Lag",
    skipped: "Skipped", error: "Error", state: "State", deadlines: "Deadlines",
    timeline: "Timeline", linked: "Linked complaints", customer: "Customer",
    time: "Time", event: "Event", actor: "Actor", met: "met", open: "open",
    received: "Received", channel: "Channel", kind: "Kind",
    category: "Category", importance: "Importance", track: "Track",
    reply_due: "Reply due", revisit_due: "Revisit due",
    assist_due: "Assist requests due", paperwork_due: "Paperwork due",
    assist_requests: "Assist requests", none: "none", details: "details",
    sign_off: "Signed off", loading: "Loading…", forbidden: "Not for your role",
    not_signed_in: "Please sign in",
  },
};

let lang = localStorage.getItem("lang") ||
    ((navigator.language || "").toLowerCase().startsWith("zh") ? "zh" : "en");

function t(key, n) {
  const word = WORDS[lang][key] ?? WORDS.en[key] ?? key;
  return n === undefined ? word : word.replace("%d", String(n));
}

// An enum value's words: "STAGE_OPEN" → "open".
function enumText(value, prefix) {
  if (!value) return "";
  const own = WORDS[lang][value];
  if (own) return own;
  const s = String(value).replace(prefix, "").toLowerCase().replaceAll("_", " ");
  return s === "unspecified" ? "" : s;
}

// A breakdown's key: an enum value in words, anything else (an id) as it is.
function keyText(key) {
  return enumText(key, /^(INFO_KIND|COMPLAINT_CATEGORY|CHANNEL|IMPORTANCE|SEVERITY)_/) || key;
}

// ---- Elements ---------------------------------------------------------------

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function main(...children) {
  const m = document.getElementById("main");
  m.replaceChildren(...children.flat().filter(c => c !== null && c !== undefined && c !== false));
  return m;
}

function errorBox(err) {
  const text = err && err.status === 403 ? `${t("forbidden")}: ${err.message}` :
      (err && err.message) || String(err);
  return el("p", {class: "error", "data-error": err && err.code}, text);
}

// ---- The API ----------------------------------------------------------------

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(rpc, body) {
  const res = await fetch("/api/v1/" + rpc, {
    method: "POST",
    headers: {"Content-Type": "application/json", "X-Ledger-Console": "1"},
    body: JSON.stringify(body || {}),
    credentials: "same-origin",
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch (e) { json = null; }
  if (!res.ok) {
    if (res.status === 401) showLogin();
    throw new ApiError(res.status, json ? json.code : String(res.status),
                       json ? json.message : text);
  }
  return json;
}

// ---- Formats ----------------------------------------------------------------

let timeZone = "Asia/Shanghai";

function num(v) { return v === undefined || v === null ? 0 : Number(v); }

function fmtTime(us) {
  const n = num(us);
  if (!n) return "";
  return new Intl.DateTimeFormat("sv-SE", {
    timeZone, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit",
  }).format(new Date(n / 1000));
}

function dayOf(us) {
  return new Intl.DateTimeFormat("sv-SE", {
    timeZone, year: "numeric", month: "2-digit", day: "2-digit",
  }).format(new Date(num(us) / 1000));
}

function money(m) { return (num(m && m.minor_units) / 100).toFixed(2); }

function pct(v) { return (num(v) * 100).toFixed(1) + "%"; }

function hex(b64) {
  if (!b64) return "";
  return Array.from(atob(b64), c => c.charCodeAt(0).toString(16).padStart(2, "0")).join("");
}

function monthOf(s) {
  const [y, m] = s.split("-").map(Number);
  return {year: y, month: m};
}

function monthText(ym) {
  return `${ym.year}-${String(ym.month).padStart(2, "0")}`;
}

function addMonths(ym, k) {
  const i = ym.year * 12 + (ym.month - 1) + k;
  return {year: Math.floor(i / 12), month: (i % 12) + 1};
}

function thisMonth() {
  const d = dayOf(Date.now() * 1000);
  return d.slice(0, 7);
}

function monthPicker(current, route) {
  const input = el("input", {type: "month", value: current, id: "month"});
  input.addEventListener("change", () => {
    if (input.value) location.hash = `#/${route}/${input.value}`;
  });
  return el("label", {}, t("month"), " ", input);
}

function positionLine(position) {
  return el("p", {class: "position", "data-position": position},
            `${t("as_of")} ${position}`);
}

// ---- Session ----------------------------------------------------------------

let me = null;

// Whether the signed-in person's roles may call `rpc` ("QueryService.GetQueue").
function may(rpc) { return !!me && (me.open || me.rpcs.includes("ledger.v1." + rpc)); }

function showLogin(message) {
  me = null;
  document.getElementById("nav").replaceChildren();
  document.getElementById("who").textContent = "";
  document.getElementById("signout").hidden = true;
  const area = el("textarea", {id: "token", autocomplete: "off", spellcheck: "false"});
  const status = el("p", {class: "error", id: "login-error"}, message || "");
  const form = el("form", {class: "login", id: "login"},
    el("h1", {}, t("signin")),
    el("p", {class: "muted"}, t("signin_help")),
    el("label", {for: "token"}, t("token")), area,
    el("p", {}, el("button", {type: "submit", id: "signin"}, t("signin"))),
    status);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    await signIn(area.value.trim(), status);
  });
  main(form);
}

async function signIn(token, status) {
  const res = await fetch("/session", {
    method: "POST", credentials: "same-origin",
    headers: {"Content-Type": "application/json", "X-Ledger-Console": "1"},
    body: JSON.stringify({token}),
  });
  if (!res.ok) {
    if (status) status.textContent = await res.text();
    return false;
  }
  me = await res.json();
  await start();
  return true;
}

async function loadSession() {
  const res = await fetch("/session", {credentials: "same-origin"});
  if (!res.ok) return null;
  return res.json();
}

// ---- Live updates -----------------------------------------------------------

let live = null;
let lastPosition = 0;
let refreshTimer = null;
let onLive = null;  // The page's refresh, if it follows the log.

function follow() {
  if (live) return;
  const badge = document.getElementById("live");
  live = new EventSource("/api/v1/live");
  live.addEventListener("open", () => { badge.className = "live on"; });
  live.addEventListener("error", () => {
    badge.className = "live";
    badge.textContent = t("live_off");
  });
  live.addEventListener("position", (ev) => {
    // The stream's first event is where the log stands: the page was just
    // drawn from it, so only later ones refresh.
    const first = lastPosition === 0;
    lastPosition = Number(ev.data);
    badge.className = "live on";
    badge.textContent = `${t("live")} · ${lastPosition}`;
    badge.dataset.position = String(lastPosition);
    if (!first && onLive && !refreshTimer) {
      // At most one refresh every 300 ms, however fast the log grows.
      refreshTimer = setTimeout(() => { refreshTimer = null; if (onLive) onLive(); }, 300);
    }
  });
}

// ---- Pages ------------------------------------------------------------------

const QUEUES = [
  "QUEUE_KIND_OPEN_BY_OWNER", "QUEUE_KIND_ASSISTS_PENDING",
  "QUEUE_KIND_REVISITS_DUE", "QUEUE_KIND_SIGN_OFFS_WAITING",
  "QUEUE_KIND_PAPERWORK_PENDING", "QUEUE_KIND_ESCALATIONS_WAITING",
  "QUEUE_KIND_IMPORTANT", "QUEUE_KIND_OVERDUE",
];
const QUEUE_ROWS = 10;

let reference = null;  // ListReferenceData, when the role may read it.

async function loadReference() {
  try {
    reference = await api("ledger.v1.ReferenceDataService/ListReferenceData");
    if (reference.time_zone) timeZone = reference.time_zone;
  } catch (e) {
    reference = null;
  }
}

function agentName(id) {
  const a = reference && reference.agents.find(x => x.agent_id === id);
  return a && a.display_name ? `${a.display_name} (${id})` : id;
}

async function pageToday(draw, params) {
  const owner = params.get("owner") || (me && me.agent_id) || "";
  const cards = el("div", {class: "cards", id: "queues"});
  const ownerSelect = el("select", {id: "owner"});
  const agents = reference ? reference.agents.filter(a => a.active) : [];
  if (owner && !agents.some(a => a.agent_id === owner)) agents.unshift({agent_id: owner});
  for (const a of agents) {
    ownerSelect.append(el("option", {value: a.agent_id, selected: a.agent_id === owner},
                          agentName(a.agent_id)));
  }
  ownerSelect.addEventListener("change", () => {
    location.hash = `#/today?owner=${encodeURIComponent(ownerSelect.value)}`;
  });
  const open = el("input", {id: "complaint-id", placeholder: "C-…", size: 24});
  const go = el("form", {class: "row"}, open, el("button", {type: "submit"}, t("open_complaint")));
  go.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (open.value.trim()) location.hash = `#/complaint/${encodeURIComponent(open.value.trim())}`;
  });
  draw(el("h1", {}, t("today")),
       el("div", {class: "row no-print"},
          me && me.station_scoped ? null : el("label", {}, t("owner"), " ", ownerSelect), go),
       cards);
  const render = async () => {
    // A station head's is the assists-pending queue of their station.
    const kinds = me && me.station_scoped ? ["QUEUE_KIND_ASSISTS_PENDING"] : QUEUES;
    const answers = await Promise.all(kinds.map(async (kind) => {
      const request = {kind, page_size: QUEUE_ROWS};
      if (kind === "QUEUE_KIND_OPEN_BY_OWNER") {
        if (!owner) return [kind, null, new ApiError(400, "", t("owner"))];
        request.owner_agent_id = owner;
      }
      try {
        return [kind, await api("ledger.v1.QueryService/GetQueue", request), null];
      } catch (e) {
        return [kind, null, e];
      }
    }));
    cards.replaceChildren(...answers.map(([kind, q, err]) => queueCard(kind, q, err, owner)));
  };
  onLive = render;
  await render();
}

function queueCard(kind, q, err, owner) {
  if (err) {
    return el("section", {class: "card", "data-queue": kind, "data-error": err.code},
              el("h2", {}, t(kind)), errorBox(err));
  }
  const today = dayOf(q.now_us);
  let overdue = 0, dueToday = 0;
  const rows = q.items.map(item => {
    const isToday = !item.overdue && num(item.due_us) && dayOf(item.due_us) === today;
    if (item.overdue) overdue++;
    if (isToday) dueToday++;
    return el("tr", {class: item.overdue ? "overdue" : isToday ? "today" : "",
                     "data-complaint": item.complaint_id},
      el("td", {}, el("a", {href: `#/complaint/${encodeURIComponent(item.complaint_id)}`}, item.complaint_id)),
      el("td", {}, item.due_what),
      el("td", {}, fmtTime(item.due_us),
         item.overdue ? el("span", {class: "status-overdue"}, " ", t("overdue")) :
         isToday ? el("span", {class: "status-today"}, " ", t("due_today")) : null),
      el("td", {}, item.owner_agent_id),
      el("td", {}, enumText(item.severity, "SEVERITY_")));
  });
  const total = num(q.total);
  return el("section", {class: "card", "data-queue": kind, "data-total": total,
                        "data-position": q.position, "data-now": q.now_us,
                        "data-owner": kind === "QUEUE_KIND_OPEN_BY_OWNER" ? owner : null},
    el("h2", {}, el("span", {}, t(kind)), el("span", {class: "count"}, String(total))),
    el("div", {class: "badges"},
       overdue ? el("span", {class: "status-overdue"}, `${t("overdue")} ${overdue}`) : null,
       dueToday ? el("span", {class: "status-today"}, `${t("due_today")} ${dueToday}`) : null,
       el("span", {class: "position"}, `${t("position")} ${q.position}`)),
    rows.length ? el("table", {},
      el("thead", {}, el("tr", {}, el("th", {}, t("complaint")), el("th", {}, t("due_what")),
                         el("th", {}, t("due")), el("th", {}, t("owner")), el("th", {}, t("severity")))),
      el("tbody", {}, rows)) : el("p", {class: "muted"}, t("none")),
    total > rows.length ? el("p", {class: "muted"}, t("more", total - rows.length)) : null);
}

function deadline(label, dueUs, done, doneUs, nowUs) {
  if (!num(dueUs)) return null;
  let status = t("open"), cls = "";
  if (done) {
    status = `${t("met")} ${fmtTime(doneUs)}`;
    if (num(doneUs) > num(dueUs)) { status = `${t("overdue")} (${fmtTime(doneUs)})`; cls = "status-overdue"; }
  } else if (num(nowUs) > num(dueUs)) {
    status = t("overdue"); cls = "status-overdue";
  } else if (dayOf(dueUs) === dayOf(nowUs)) {
    status = t("due_today"); cls = "status-today";
  }
  return el("tr", {}, el("td", {}, label), el("td", {}, fmtTime(dueUs)),
            el("td", {class: cls}, status));
}

async function pageComplaint(draw, id) {
  draw(el("h1", {}, `${t("complaint")} ${id}`), el("p", {class: "muted"}, t("loading")));
  let view;
  try {
    view = await api("ledger.v1.ComplaintService/GetComplaint", {complaint_id: id});
  } catch (e) {
    draw(el("h1", {}, `${t("complaint")} ${id}`), errorBox(e));
    return;
  }
  const s = view.state;
  const timeline = view.timeline || [];
  const last = timeline.length ? timeline[timeline.length - 1] : null;
  const nowUs = Date.now() * 1000;
  const received = timeline.find(e => e.event_type === "ledger.v1.ComplaintReceived");
  const customer = received && received.payload && received.payload.customer;
  const facts = [
    ["stage", enumText(s.stage, "STAGE_")], ["received", fmtTime(s.received_time_us)],
    ["channel", enumText(s.channel, "CHANNEL_")], ["owner", s.owner_agent_id],
    ["station", s.station_id], ["kind", enumText(s.kind, "INFO_KIND_")],
    ["category", enumText(s.category, "COMPLAINT_CATEGORY_")],
    ["importance", enumText(s.importance, "IMPORTANCE_")],
    ["severity", enumText(s.severity, "SEVERITY_")],
    ["track", enumText(s.track, "HANDLING_TRACK_")],
  ];
  const signed = timeline.find(e => e.event_type === "ledger.v1.ComplaintSignedOff");
  const assists = (s.assist_requests || []).map(a => {
    const targets = a.targets || [];
    const done = targets.length > 0 && targets.every(x => x.answered);
    const at = Math.max(0, ...targets.map(x => num(x.answered_time_us)));
    return deadline(`${t("assist_due")} ${a.assist_request_id}`, a.answer_due_us, done, at, nowUs);
  });
  draw(
    el("h1", {}, `${t("complaint")} ${id}`),
    positionLine(last ? last.position : 0),
    el("h2", {}, t("state")),
    el("dl", {class: "state", id: "state", "data-stage": s.stage},
       facts.flatMap(([k, v]) => [el("dt", {}, t(k)), el("dd", {"data-field": k}, v || "—")])),
    customer ? el("div", {id: "customer"}, el("h2", {}, t("customer")),
                  el("pre", {class: "mono"}, JSON.stringify(customer, null, 2))) : null,
    el("h2", {}, t("deadlines")),
    el("table", {id: "deadlines"},
       el("tbody", {},
          deadline(t("reply_due"), s.reply_due_us, num(s.replied_time_us) > 0, s.replied_time_us, nowUs),
          assists,
          deadline(t("revisit_due"), s.revisit_due_us, num(s.revisits) > 0 || s.revisit_waived, 0, nowUs),
          deadline(t("paperwork_due"), s.paperwork_due_us, !s.paperwork_pending, 0, nowUs))),
    (s.linked_complaint_ids || []).length ?
      el("div", {}, el("h2", {}, t("linked")),
         el("ul", {id: "linked"}, s.linked_complaint_ids.map(l =>
           el("li", {}, el("a", {href: `#/complaint/${encodeURIComponent(l)}`}, l))))) : null,
    el("h2", {}, t("timeline")),
    el("table", {id: "timeline"},
       el("thead", {}, el("tr", {}, el("th", {class: "num"}, t("position")), el("th", {}, t("time")),
                          el("th", {}, t("event")), el("th", {}, t("actor")), el("th", {}, t("details")))),
       el("tbody", {}, timeline.map(e =>
         el("tr", {"data-position": e.position},
            el("td", {class: "num"}, e.position), el("td", {}, fmtTime(e.recorded_time_us)),
            el("td", {}, e.event_type.replace("ledger.v1.", "")), el("td", {}, e.actor),
            el("td", {}, el("details", {}, el("summary", {}, t("details")),
                            el("pre", {}, JSON.stringify(e.payload, null, 2)))))))),
    signed ? el("p", {class: "muted"}, `${t("sign_off")}: ${fmtTime(signed.recorded_time_us)} · ${signed.actor}`) : null);
}

function stationRows(table) {
  return table.stations.map(s => el("tr", {"data-station": s.station_id},
    el("td", {}, s.station_id), el("td", {}, s.name),
    el("td", {class: "num", "data-field": "complaints"}, num(s.complaints)),
    el("td", {class: "num", "data-field": "copies"}, num(s.copies)),
    el("td", {class: "num", "data-field": "ratio_per_10k"}, num(s.ratio_per_10k).toFixed(2)),
    el("td", {class: "num", "data-field": "rank"}, num(s.rank) || "—"),
    el("td", {class: "num", "data-field": "repeat"}, num(s.repeat)),
    el("td", {class: "num", "data-field": "malicious"}, num(s.malicious)),
    el("td", {class: "num", "data-field": "penalty_charged"}, money(s.penalty_charged)),
    el("td", {class: "num", "data-field": "penalty_not_charged"}, money(s.penalty_not_charged))));
}

function stationHead() {
  return el("thead", {}, el("tr", {},
    ["station", "name"].map(k => el("th", {}, t(k))),
    ["complaints", "copies", "ratio", "rank", "repeat", "malicious", "penalty", "not_charged"]
      .map(k => el("th", {class: "num"}, t(k)))));
}

function totalsRow(tt) {
  return el("tr", {"data-station": "totals"},
    el("th", {}, t("total")), el("th", {}),
    el("th", {class: "num", "data-field": "complaints"}, num(tt.complaints)),
    el("th", {class: "num", "data-field": "copies"}, num(tt.copies)),
    el("th", {class: "num"}, num(tt.ratio_per_10k).toFixed(2)), el("th", {}),
    el("th", {class: "num", "data-field": "repeat"}, num(tt.repeat)),
    el("th", {class: "num", "data-field": "malicious"}, num(tt.malicious)),
    el("th", {class: "num", "data-field": "penalty_charged"}, money(tt.penalty_charged)),
    el("th", {class: "num", "data-field": "penalty_not_charged"}, money(tt.penalty_not_charged)));
}

async function pageStations(draw, monthTextValue) {
  const ym = monthOf(monthTextValue);
  draw(el("h1", {}, `${t("stations")} ${monthTextValue}`), el("p", {class: "muted"}, t("loading")));
  let table;
  try {
    table = await api("ledger.v1.QueryService/GetStationTable", {month: ym});
  } catch (e) {
    draw(el("h1", {}, `${t("stations")} ${monthTextValue}`), monthPicker(monthTextValue, "stations"), errorBox(e));
    return;
  }
  const chart = el("div", {class: "chart", id: "ratio-trend"});
  draw(
    el("h1", {}, `${t("stations")} ${monthTextValue}`),
    el("div", {class: "row no-print"}, monthPicker(monthTextValue, "stations"),
       el("a", {class: "button", id: "export",
                href: `/export/stations/${monthTextValue}.xlsx?as_of_position=${table.position}`},
          t("export_xlsx")),
       el("a", {class: "button", id: "print-link", href: `#/print/stations/${monthTextValue}`}, t("print"))),
    positionLine(table.position),
    el("table", {id: "stations"}, stationHead(),
       el("tbody", {}, stationRows(table)), el("tfoot", {}, totalsRow(table.totals))),
    el("h2", {}, t("ratio_trend")), chart);
  // The last 12 months, each station's ratio, at this page's position.
  const months = [];
  for (let k = -11; k <= 0; k++) months.push(addMonths(ym, k));
  const tables = await Promise.all(months.map(m =>
    api("ledger.v1.QueryService/GetStationTable", {month: m}).catch(() => null)));
  const ids = table.stations.map(s => s.station_id);
  const series = ids.map(id => ({
    name: id, type: "line", connectNulls: false,
    data: tables.map(tb => {
      const row = tb && tb.stations.find(s => s.station_id === id);
      return row && num(row.copies) ? Number(num(row.ratio_per_10k).toFixed(2)) : null;
    }),
  }));
  drawChart(chart, {
    tooltip: {trigger: "axis"}, legend: {type: "scroll"},
    xAxis: {type: "category", data: months.map(monthText)},
    yAxis: {type: "value", name: t("ratio")}, series,
  });
}

async function pagePrintStations(draw, monthTextValue) {
  const ym = monthOf(monthTextValue);
  let table;
  try {
    table = await api("ledger.v1.QueryService/GetStationTable", {month: ym});
  } catch (e) {
    draw(errorBox(e));
    return;
  }
  const special = table.stations.some(s => num(s.penalty_not_charged) > 0) &&
      !table.stations.some(s => num(s.penalty_charged && s.penalty_charged.minor_units) > 0);
  const printButton = el("button", {type: "button", id: "print"}, t("print"));
  printButton.addEventListener("click", () => window.print());
  draw(el("div", {class: "sheet", id: "penalty-sheet", "data-position": table.position},
    el("p", {class: "no-print"}, printButton, " ",
       el("a", {href: `#/stations/${monthTextValue}`}, t("stations"))),
    el("h1", {}, lang === "zh" ? `${ym.year}年${ym.month}月${t("penalty_sheet")}`
                               : `${t("penalty_sheet")}, ${monthTextValue}`),
    el("div", {class: "meta"}, el("span", {}, `${t("month")}: ${monthTextValue}`),
       el("span", {}, `${t("as_of")} ${table.position}`)),
    special ? el("p", {}, t("special_period")) : null,
    el("table", {id: "penalties"}, stationHead(), el("tbody", {}, stationRows(table)),
       el("tfoot", {}, totalsRow(table.totals))),
    el("div", {class: "signatures"},
       ["prepared_by", "checked_by", "centre_head_sign", "management_sign"].map(k =>
         el("div", {}, t(k), el("br"), `${t("date")}:`)))));
}

function kpiTile(k) {
  const state = k.pending ? "pending" : k.no_data ? "nodata" : k.pass ? "pass" : "fail";
  const word = {pending: t("pending"), nodata: t("no_data"), pass: t("pass"), fail: t("fail")}[state];
  const value = k.no_data ? "—" : pct(k.value);
  const cmp = (label, v, none) => el("div", {class: "muted"}, `${label}: ${none ? "—" : pct(v)}`);
  return el("div", {class: `tile ${state}`, "data-kpi": k.name, "data-value": k.value,
                    "data-state": state},
    el("div", {}, k.name), el("div", {class: "value"}, value),
    el("div", {}, `${t("target")} ${k.at_least ? "≥" : "≤"} ${pct(k.target)} · ${word}`),
    el("div", {class: "muted"}, `${num(k.numerator)} / ${num(k.denominator)}`),
    cmp(t("prev_month"), k.previous_month_value, k.previous_month_no_data),
    cmp(t("last_year"), k.same_month_last_year_value, k.same_month_last_year_no_data));
}

async function pageAnalysis(draw, monthTextValue) {
  const ym = monthOf(monthTextValue);
  draw(el("h1", {}, `${t("analysis")} ${monthTextValue}`), el("p", {class: "muted"}, t("loading")));
  let a;
  try {
    a = await api("ledger.v1.QueryService/GetMonthlyAnalysis", {month: ym});
  } catch (e) {
    draw(el("h1", {}, `${t("analysis")} ${monthTextValue}`), monthPicker(monthTextValue, "analysis"), errorBox(e));
    return;
  }
  const f = a.month;
  const trend = el("div", {class: "chart", id: "kpi-trend"});
  const breakdowns = ["by_kind", "by_category", "by_channel", "by_importance", "by_station", "by_department"];
  const charts = breakdowns.map(k => el("div", {class: "chart", id: `chart-${k}`}));
  draw(
    el("h1", {}, `${t("analysis")} ${monthTextValue}`),
    el("div", {class: "row no-print"}, monthPicker(monthTextValue, "analysis")),
    positionLine(a.position),
    el("p", {}, `${t("cases")}: `, el("strong", {id: "cases", "data-value": num(f.cases)}, num(f.cases)),
       ` · ${t("prev_month")} ${num(a.previous_month && a.previous_month.cases)}`,
       ` · ${t("last_year")} ${num(a.same_month_last_year && a.same_month_last_year.cases)}`),
    el("h2", {}, t("kpis")), el("div", {class: "tiles", id: "kpis"}, (f.kpis || []).map(kpiTile)),
    el("h2", {}, t("trend")), trend,
    el("h2", {}, t("breakdowns")),
    el("div", {class: "charts"}, breakdowns.map((k, i) =>
      el("div", {}, el("h2", {}, t(k)), charts[i],
         el("table", {"data-breakdown": k}, el("tbody", {}, (f[k] || []).map(c =>
           el("tr", {}, el("td", {}, keyText(c.key)),
              el("td", {class: "num", "data-key": c.key}, num(c.count))))))))));
  breakdowns.forEach((k, i) => {
    const data = (f[k] || []).map(c => ({name: c.key, value: num(c.count)}));
    drawChart(charts[i], {tooltip: {trigger: "item"},
      series: [{type: "pie", radius: ["35%", "65%"], data}]});
  });
  const months = [];
  for (let k = -11; k <= 0; k++) months.push(addMonths(ym, k));
  const all = await Promise.all(months.map(m =>
    api("ledger.v1.QueryService/GetMonthlyAnalysis", {month: m}).catch(() => null)));
  const names = (f.kpis || []).map(k => k.name);
  drawChart(trend, {
    tooltip: {trigger: "axis"}, legend: {type: "scroll"},
    xAxis: {type: "category", data: months.map(monthText)},
    yAxis: {type: "value", axisLabel: {formatter: v => `${Math.round(v * 100)}%`}},
    series: names.map(n => ({name: n, type: "line", data: all.map(x => {
      const k = x && x.month.kpis.find(y => y.name === n);
      return k && !k.no_data ? k.value : null;
    })})),
  });
}

async function pageAgents(draw, monthTextValue) {
  const ym = monthOf(monthTextValue);
  draw(el("h1", {}, `${t("agents")} ${monthTextValue}`), el("p", {class: "muted"}, t("loading")));
  if (!reference) await loadReference();
  const agents = reference ? reference.agents.filter(a => a.roles.includes("ROLE_AGENT")) : [];
  let cards, sample, assessment;
  try {
    [cards, sample, assessment] = await Promise.all([
      Promise.all(agents.map(a =>
        api("ledger.v1.QueryService/GetAgentScorecard", {agent_id: a.agent_id, month: ym}))),
      api("ledger.v1.QueryService/GetSecondRevisitSample", {month: ym}),
      api("ledger.v1.QueryService/GetAssessment", {month: ym})]);
  } catch (e) {
    draw(el("h1", {}, `${t("agents")} ${monthTextValue}`), monthPicker(monthTextValue, "agents"), errorBox(e));
    return;
  }
  // The month-end second revisit sample: quota and progress per agent.
  for (const c of cards) {
    const s = (sample.agents || []).find(x => x.agent_id === c.agent_id);
    c.sample_quota = s ? s.quota : 0;
    c.sample_done = s ? s.done : 0;
    // The assessment (a draft until published): total points, and months
    // below standard in a row (three or more: flagged).
    const a = (assessment.agents || []).find(x => x.agent_id === c.agent_id);
    c.assessment_total = a && !a.total_na ? (num(a.total_tenths) / 10).toFixed(1) : "—";
    c.months_below = a ? num(a.months_below_in_a_row) : 0;
    c.flagged = !!(a && a.flagged);
  }
  const columns = [
    ["agent_id", t("agent"), false], ["display_name", t("name"), false],
    ["cases_owned", t("cases_owned"), true], ["repeat_cases", t("repeat_cases"), true],
    ["sample_quota", t("sample_quota"), true], ["sample_done", t("sample_done"), true],
    ["assessment_total", t("assessment_total"), "text"], ["months_below", t("months_below"), true],
    ["replies", t("replies"), true], ["replies_on_time", t("replies_on_time"), true],
    ["reply_on_time_rate", t("reply_on_time_rate"), "pct"],
    ["revisits", t("revisits"), true], ["revisits_on_time", t("revisits_on_time"), true],
    ["revisit_on_time_rate", t("revisit_on_time_rate"), "pct"],
    ["revisits_satisfied", t("revisits_satisfied"), true],
    ["satisfaction_rate", t("satisfaction_rate"), "pct"],
  ];
  // The agent's KPIs (the assessment's four, the service norms): a column
  // each, coloured pass / fail, "—" without data.
  const kpiNames = cards.length ? (cards[0].kpis || []).map(k => k.name) : [];
  for (const n of kpiNames) columns.push([`kpi:${n}`, n, "kpi"]);
  const kpiOf = (c, k) => (c.kpis || []).find(x => `kpi:${x.name}` === k);
  // A rate over nothing is no rate.
  const RATE_OF = {reply_on_time_rate: "replies", revisit_on_time_rate: "revisits",
                   satisfaction_rate: "revisits"};
  const sortValue = (c, k) => {
    if (k === "assessment_total") return c[k] === "—" ? -1 : Number(c[k]);
    if (!k.startsWith("kpi:")) return c[k];
    const x = kpiOf(c, k);
    return x && !x.no_data ? num(x.value) : -1;
  };
  const kpiCell = (c, k) => {
    const x = kpiOf(c, k);
    const state = !x ? "nodata" : x.pending ? "pending" : x.no_data ? "nodata" : x.pass ? "pass" : "fail";
    return el("td", {class: `num kpi ${state}`, "data-field": k, "data-state": state,
                     title: x ? `${num(x.numerator)} / ${num(x.denominator)}` : ""},
              x && !x.no_data ? pct(x.value) : "—");
  };
  let sortKey = "cases_owned", descending = true;
  const body = el("tbody", {});
  const drawRows = () => {
    const sorted = [...cards].sort((x, y) => {
      const a = sortValue(x, sortKey), b = sortValue(y, sortKey);
      const c = typeof a === "string" && isNaN(Number(a)) ? String(a).localeCompare(String(b)) : num(a) - num(b);
      return descending ? -c : c;
    });
    body.replaceChildren(...sorted.map(c => el("tr", {"data-agent": c.agent_id, "data-position": c.position,
                                                      "data-flagged": c.flagged ? "1" : "0",
                                                      class: c.flagged ? "flagged" : ""},
      columns.map(([k, , numeric]) => numeric === "kpi" ? kpiCell(c, k) :
        el("td", {class: numeric ? "num" : "", "data-field": k},
          numeric === "pct" ? (num(c[RATE_OF[k]]) ? pct(c[k]) : "—") :
          numeric === "text" ? c[k] : numeric ? num(c[k]) : c[k])))));
  };
  const head = el("tr", {}, columns.map(([k, label, numeric]) => {
    const th = el("th", {class: `sortable ${numeric ? "num" : ""}`, "data-sort": k}, label);
    th.addEventListener("click", () => {
      descending = sortKey === k ? !descending : true;
      sortKey = k;
      drawRows();
    });
    return th;
  }));
  draw(el("h1", {}, `${t("agents")} ${monthTextValue}`),
       el("div", {class: "row no-print"}, monthPicker(monthTextValue, "agents")),
       positionLine(cards.length ? cards[0].position : 0),
       el("table", {id: "scorecards"}, el("thead", {}, head), body));
  drawRows();
}

async function pageLedger(draw, refresh) {
  // A refresh (live) replaces the page only once its answers are in.
  if (!refresh) draw(el("h1", {}, t("ledger")), el("p", {class: "muted"}, t("loading")));
  const settle = p => p.then(v => ({v}), e => ({e}));
  const [head, health, checkpoint, projections] = await Promise.all([
    settle(api("ledger.v1.Ledger/GetLogHead")),
    settle(api("grpc.health.v1.Health/Check", {service: "ledger.v1.ComplaintService"})),
    settle(api("ledger.v1.AuditService/GetCheckpoint")),
    settle(api("ledger.v1.QueryService/ListProjections")),
  ]);
  const section = (title, r, body) => [el("h2", {}, title), r.e ? errorBox(r.e) : body(r.v)];
  draw(el("h1", {}, t("ledger")),
    section(t("log_head"), head, h => el("dl", {class: "state", id: "log-head",
                                               "data-position": h.position_last},
      el("dt", {}, t("position")), el("dd", {}, h.position_last),
      el("dt", {}, t("last_hash")), el("dd", {class: "mono"}, hex(h.hash_last)))),
    section(t("write_health"), health, h => el("p", {id: "health", "data-status": h.status}, h.status)),
    section(t("checkpoint"), checkpoint, c => el("div", {id: "checkpoint", "data-size": c.tree_size},
      el("dl", {class: "state"}, el("dt", {}, t("tree_size")), el("dd", {}, c.tree_size),
         el("dt", {}, t("root_hash")), el("dd", {class: "mono"}, hex(c.root_hash))),
      el("pre", {class: "mono"}, c.note))),
    section(t("projections"), projections, p => el("table", {id: "projections"},
      el("thead", {}, el("tr", {}, el("th", {}, t("name")), el("th", {class: "num"}, t("checkpoint_pos")),
                         el("th", {class: "num"}, t("lag")), el("th", {class: "num"}, t("skipped")),
                         el("th", {}, t("error")))),
      el("tbody", {}, p.projections.map(x => el("tr", {"data-projection": x.name},
        el("td", {}, x.name), el("td", {class: "num"}, x.checkpoint),
        el("td", {class: "num", "data-field": "lag"}, x.lag),
        el("td", {class: "num"}, x.skipped), el("td", {class: "error"}, x.error)))))));
  onLive = () => pageLedger(draw, true);
}

// ---- Charts -----------------------------------------------------------------

const charts = [];

function drawChart(node, option) {
  if (typeof echarts === "undefined") return;
  const chart = echarts.init(node, null, {locale: lang === "zh" ? "ZH" : "EN", renderer: "svg"});
  chart.setOption(Object.assign({animation: false, grid: {left: 48, right: 16, top: 40, bottom: 32}}, option));
  charts.push(chart);
  node.dataset.drawn = "1";
}

window.addEventListener("resize", () => charts.forEach(c => c.resize()));

// ---- Routing ----------------------------------------------------------------

// Each page, and the RPC without which it has nothing to show.
const PAGES = [
  ["today", "#/today", "QueryService.GetQueue"],
  ["stations", "#/stations", "QueryService.GetStationTable"],
  ["analysis", "#/analysis", "QueryService.GetMonthlyAnalysis"],
  ["agents", "#/agents", "QueryService.GetAgentScorecard"],
  ["ledger", "#/ledger", "Ledger.GetLogHead"],
];

function drawNav(route) {
  const nav = document.getElementById("nav");
  nav.replaceChildren(...PAGES.filter(([, , rpc]) => may(rpc)).map(([key, href]) =>
    el("a", {href, class: route === key ? "here" : "", "data-page": key}, t(key))));
}

// Each route draws only while it is the latest: an answer that arrives
// after the user went elsewhere is dropped.
let routeGeneration = 0;

async function route() {
  if (!me) return;
  const gen = ++routeGeneration;
  // The fragment this route draws: the location may change before it ends
  // (its hashchange not yet handled), and what was drawn is this one's.
  const drawnHash = location.hash;
  const draw = (...children) => { if (gen === routeGeneration) main(...children); };
  onLive = null;
  while (charts.length) charts.pop().dispose();
  const hash = location.hash.replace(/^#\/?/, "");
  const [path, query] = hash.split("?");
  const parts = path.split("/").map(decodeURIComponent);
  const params = new URLSearchParams(query || "");
  // The first page the role may open, unless one is asked for.
  const first = (PAGES.find(([, , rpc]) => may(rpc)) || ["today"])[0];
  const page = parts[0] || first;
  drawNav(page === "print" ? "stations" : page);
  document.body.dataset.page = page;
  try {
    switch (page) {
      case "complaint": await pageComplaint(draw, parts[1] || ""); break;
      case "stations": await pageStations(draw, parts[1] || thisMonth()); break;
      case "print": await pagePrintStations(draw, parts[2] || thisMonth()); break;
      case "analysis": await pageAnalysis(draw, parts[1] || thisMonth()); break;
      case "agents": await pageAgents(draw, parts[1] || thisMonth()); break;
      case "ledger": await pageLedger(draw, false); break;
      case "today": await pageToday(draw, params); break;
      default: await pageToday(draw, params);
    }
  } catch (e) {
    if (me) draw(errorBox(e));
  }
  if (gen === routeGeneration) {
    // What was drawn, for tests and benchmarks to wait on.
    document.body.dataset.readyHash = drawnHash;
    document.body.dataset.ready = page;
  }
}

async function start() {
  document.getElementById("who").textContent =
      me.open ? "(no authentication)" : `${t("signed_in_as")}${me.agent_id}`;
  document.getElementById("signout").hidden = !!me.open;
  await loadReference();
  follow();
  await route();
}

function setLanguage(next) {
  lang = next;
  localStorage.setItem("lang", lang);
  document.documentElement.lang = lang;
  document.getElementById("lang").textContent = t("other_lang");
  document.getElementById("signout").textContent = t("signout");
  document.getElementById("brand").textContent = t("brand");
}

// A link with a token in its fragment (#token=...; tools/run.sh prints one
// for the demo) signs in and forgets it: a fragment never reaches a server
// or its logs. True when it signed in.
async function tokenLink() {
  const m = location.hash.match(/^#token=([A-Za-z0-9._-]+)/);
  if (!m) return false;
  history.replaceState(null, "", location.pathname + "#/");
  return signIn(m[1], null);
}

window.addEventListener("DOMContentLoaded", async () => {
  setLanguage(lang);
  document.getElementById("lang").addEventListener("click", () => {
    setLanguage(lang === "zh" ? "en" : "zh");
    if (me) { start(); } else { showLogin(); }
  });
  document.getElementById("signout").addEventListener("click", async () => {
    await fetch("/session", {method: "DELETE", credentials: "same-origin",
                             headers: {"X-Ledger-Console": "1"}});
    if (live) { live.close(); live = null; }
    showLogin();
  });
  window.addEventListener("hashchange", async () => {
    if (!(await tokenLink())) await route();
  });
  if (await tokenLink()) return;
  me = await loadSession();
  if (me) await start(); else showLogin();
});
