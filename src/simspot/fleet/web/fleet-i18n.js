// The fleet view's own words in Chinese (English is in the markup and the fallbacks), added to
// the box dashboard's dictionary (i18n.js), which also renders the server's sentences by id.

import { ZH } from "./i18n.js";

Object.assign(ZH, {
  fleet_title: "simspot 设备群", boxes: "设备", all_groups: "全部分组", box: "设备", group: "分组",
  last_seen: "最后在线", uplink_now: "上网方式", alerts: "告警", usage: "流量",
  by_day: "按天（14 天）", by_hour: "按小时（24 小时）", sims: "SIM 卡与上网方式", plan: "套餐",
  used_31d: "已用（31 天）", last_used: "最后使用", fleet_usage: "全部设备流量（按天）",
  open: "未解决", cleared: "已解决", raised: "发生时间", alert: "告警内容", no_alerts: "没有告警。",
  send_command: "发送指令", send_to: "发送给", one_box: "一台设备", a_group: "分组内的所有设备",
  action: "操作", args: "参数（JSON，与设备自身 API 相同）", send: "发送", sent: "发送时间",
  answer: "结果", st_online: "在线", st_offline: "离线", st_quiet: "无响应", st_unknown: "从未连接",
  cmd_pending: "等待中", cmd_ok: "成功", cmd_failed: "失败", cmd_expired: "已过期",
  sharing_yes: "共享中", sharing_no: "未共享", boxes_online: "{0} / {1} 在线", total_n: "合计 {0}",
  args_json: "参数不是有效的 JSON 对象", no_box: "先选择一台设备", simulated_mark: "模拟",
  version: "版本", guests_n: "访客", current: "当前", left: "剩余", forecast_end: "预计周期用量",
  act_plan_set: "设置套餐", act_uplink_use: "切换上网方式", act_uplink_auto: "自动选择上网方式",
  act_esim_download: "下载 eSIM 配置文件", act_guest_add: "创建访客通行证", act_guest_revoke: "撤销访客通行证",
  act_client_block: "拉黑设备", act_client_unblock: "解除拉黑", act_hotspot_on: "开启热点",
  act_hotspot_off: "关闭热点", example: "示例：{0}",
});
