"""python-dbusmock template: ModemManager with what the stock template lacks.

Builds on dbusmock's ``modemmanager`` template (the manager object and its GetManagedObjects) and
adds a dual-slot modem (a physical SIM and an eUICC), Simple.Connect/Disconnect creating Bearer
objects, Sim.SendPin with a retry counter, Messaging with Sms objects and the Signal interface.
Like the real ModemManager, switching the primary slot or swapping a SIM re-probes the modem:
its object goes away and comes back under a new path.

Tests drive it through these methods on org.freedesktop.DBus.Mock (main object):
AddDualSimModem(a{sv}), Unplug(), Replug(), SetRegistration(u, s, s), SwapSim(u, s, s, s, s),
AddSms(s, s, s), SetBearerStats(t, t), CurrentModem() -> s.
"""

from __future__ import annotations

import json

from dbusmock import MOCK_IFACE, OBJECT_MANAGER_IFACE, mockobject
from dbusmock.templates import modemmanager as base

import dbus

BUS_NAME = base.BUS_NAME
MAIN_OBJ = base.MAIN_OBJ
MAIN_IFACE = base.MAIN_IFACE
SYSTEM_BUS = True
IS_OBJECT_MANAGER = False

MODEM = base.MODEM_IFACE
MODEM_3GPP = base.MODEM_3GPP_IFACE
SIMPLE = "org.freedesktop.ModemManager1.Modem.Simple"
MESSAGING = "org.freedesktop.ModemManager1.Modem.Messaging"
SIGNAL = "org.freedesktop.ModemManager1.Modem.Signal"
SIM = base.SIM_IFACE
BEARER = "org.freedesktop.ModemManager1.Bearer"
SMS = "org.freedesktop.ModemManager1.Sms"
ROOT = "/org/freedesktop/ModemManager1"

LOCK_NONE, LOCK_SIM_PIN, LOCK_SIM_PUK = 1, 2, 4
STATE_LOCKED, STATE_REGISTERED, STATE_CONNECTED = 2, 8, 11
ACCESS_LTE = 1 << 14

# Everything the mock modem is, kept across re-probes (a new object path each time).
S: dict = {}


def _u(v):
    return dbus.UInt32(v)


def load(mock, parameters):
    base.load(mock, parameters)
    S.clear()
    S.update(
        modem_index=0,
        bearer_index=0,
        sms_index=0,
        path=None,
        primary=1,
        locked=False,
        pin="1234",
        retries=3,
        registration=1,
        operator_code="23415",
        operator_name="Simtel UK",
        bearers=[],
        sms=[],
        log=[],
        empty=set(),
        sims=[
            {
                "SimIdentifier": "8944200000000000017",
                "Imsi": "234150000000017",
                "OperatorIdentifier": "23415",
                "OperatorName": "Simtel UK",
                "Eid": "",
                "SimType": 1,
            },
            {
                "SimIdentifier": "8988247000000000021",
                "Imsi": "460011000000021",
                "OperatorIdentifier": "46001",
                "OperatorName": "China Unicom",
                "Eid": "89049032000000000000000000000042",
                "SimType": 2,
            },
        ],
    )


def _main():
    return mockobject.objects[MAIN_OBJ]


def _modem():
    return mockobject.objects[S["path"]] if S["path"] in mockobject.objects else None


def _retries():
    lock = _lock()
    return dbus.Dictionary({_u(lock): _u(S["retries"])} if S["locked"] else {}, signature="uu")


def _lock():
    return LOCK_SIM_PUK if S["retries"] <= 0 else LOCK_SIM_PIN


def _sim_path(slot):
    return f"{ROOT}/SIM/{slot}"


def _add_sims():
    for slot, sim in enumerate(S["sims"], 1):
        path = _sim_path(slot)
        if path in mockobject.objects:
            _main().RemoveObject(path)
        if slot in S["empty"]:
            continue
        props = {
            "Active": dbus.Boolean(slot == S["primary"]),
            "SimIdentifier": dbus.String(sim["SimIdentifier"]),
            "Imsi": dbus.String(sim["Imsi"]),
            "OperatorIdentifier": dbus.String(sim["OperatorIdentifier"]),
            "OperatorName": dbus.String(sim["OperatorName"]),
            "Eid": dbus.String(sim["Eid"]),
            "SimType": _u(sim["SimType"]),
        }
        _main().AddObject(path, SIM, props, [])
        mockobject.objects[path].AddMethods(SIM, [("SendPin", "s", "", send_pin)])


def _modem_props():
    state = STATE_LOCKED if S["locked"] else STATE_REGISTERED
    if any(b in mockobject.objects for b in S["bearers"]):
        state = STATE_CONNECTED
    return {
        "Manufacturer": dbus.String("Quectel"),
        "Model": dbus.String("EM12-G"),
        "DeviceIdentifier": dbus.String("0123456789abcdef"),
        "EquipmentIdentifier": dbus.String("861234567890123"),
        "State": dbus.Int32(state),
        "UnlockRequired": _u(_lock() if S["locked"] else LOCK_NONE),
        "UnlockRetries": _retries(),
        "AccessTechnologies": _u(ACCESS_LTE),
        "SignalQuality": dbus.Struct((_u(70), dbus.Boolean(True)), signature="ub"),
        "Sim": dbus.ObjectPath(_sim_path(S["primary"])),
        "SimSlots": dbus.Array(
            [dbus.ObjectPath("/" if i in S["empty"] else _sim_path(i)) for i in (1, 2)],
            signature="o",
        ),
        "PrimarySimSlot": _u(S["primary"]),
        "Bearers": dbus.Array(
            [dbus.ObjectPath(b) for b in S["bearers"] if b in mockobject.objects], signature="o"
        ),
    }


def _add_modem():
    S["modem_index"] += 1
    path = f"{ROOT}/Modems/{S['modem_index']}"
    S["path"] = path
    _add_sims()
    main = _main()
    main.AddObject(path, MODEM, _modem_props(), [])
    modem = mockobject.objects[path]
    modem.AddMethods(MODEM, [("SetPrimarySimSlot", "u", "", set_primary_slot)])
    modem.AddProperties(
        MODEM_3GPP,
        {
            "Imei": dbus.String("861234567890123"),
            "RegistrationState": _u(0 if S["locked"] else S["registration"]),
            "OperatorCode": dbus.String("" if S["locked"] else S["operator_code"]),
            "OperatorName": dbus.String("" if S["locked"] else S["operator_name"]),
        },
    )
    modem.AddMethods(
        SIMPLE,
        [("Connect", "a{sv}", "o", simple_connect), ("Disconnect", "o", "", simple_disconnect)],
    )
    modem.AddProperties(
        MESSAGING, {"Messages": dbus.Array([dbus.ObjectPath(p) for p in S["sms"]], signature="o")}
    )
    modem.AddMethods(MESSAGING, [("List", "", "ao", messaging_list)])
    modem.AddMethods(SIGNAL, [("Setup", "u", "", signal_setup)])
    modem.AddProperties(
        SIGNAL,
        {
            "Rate": _u(0),
            "Lte": dbus.Dictionary(
                {
                    "rssi": dbus.Double(-65.0),
                    "rsrp": dbus.Double(-95.0),
                    "rsrq": dbus.Double(-9.0),
                    "snr": dbus.Double(12.5),
                },
                signature="sv",
            ),
        },
    )
    main.EmitSignal(
        OBJECT_MANAGER_IFACE, "InterfacesAdded", "oa{sa{sv}}", [dbus.ObjectPath(path), modem.props]
    )
    return path


def _remove_modem():
    modem = _modem()
    if modem is None:
        return
    path = S["path"]
    ifaces = dbus.Array(list(modem.props.keys()), signature="s")
    _main().RemoveObject(path)
    S["path"] = None
    _main().EmitSignal(
        OBJECT_MANAGER_IFACE, "InterfacesRemoved", "oas", [dbus.ObjectPath(path), ifaces]
    )


def _reprobe():
    _remove_modem()
    _add_modem()


def _update_modem():
    modem = _modem()
    if modem is not None:
        # Sim only changes on a re-probe (a new object); dbusmock cannot re-wrap object paths.
        props = {k: v for k, v in _modem_props().items() if k != "Sim"}
        modem.UpdateProperties(MODEM, props)


# -- methods on the mock's own objects ---------------------------------------------------------
def _record(self, method, *args):
    """Remember a call (dbusmock's own call log dies with the object; modems get replaced)."""
    plain = json.loads(json.dumps(args, default=lambda v: repr(v)))
    S["log"].append([self.path if hasattr(self, "path") else "?", method, plain])


def set_primary_slot(self, slot):
    _record(self, "SetPrimarySimSlot", int(slot))
    if slot not in (1, 2):
        raise dbus.exceptions.DBusException(
            f"invalid slot {slot}", name="org.freedesktop.ModemManager1.Error.Core.InvalidArgs"
        )
    S["primary"] = int(slot)
    S["bearers"] = []
    _reprobe()


def simple_connect(self, props):
    _record(self, "Connect", {str(k): _plain(v) for k, v in props.items()})
    if S["locked"]:
        raise dbus.exceptions.DBusException(
            "SIM PIN required", name="org.freedesktop.ModemManager1.Error.MobileEquipment.SimPin"
        )
    S["bearer_index"] += 1
    path = f"{ROOT}/Bearer/{S['bearer_index']}"
    apn = str(props.get("apn", ""))
    _main().AddObject(
        path,
        BEARER,
        {
            "Interface": dbus.String("wwan0"),
            "Connected": dbus.Boolean(True),
            "Ip4Config": dbus.Dictionary(
                {
                    "method": _u(3),
                    "address": dbus.String("10.64.12.7"),
                    "prefix": _u(30),
                    "gateway": dbus.String("10.64.12.5"),
                    "dns1": dbus.String("10.64.0.1"),
                    "mtu": _u(1500),
                },
                signature="sv",
            ),
            "Ip6Config": dbus.Dictionary(
                {
                    "method": _u(3),
                    "address": dbus.String("2001:db8:44:1::7"),
                    "prefix": _u(64),
                    "dns1": dbus.String("2001:db8::53"),
                },
                signature="sv",
            ),
            "Stats": dbus.Dictionary(
                {"rx-bytes": dbus.UInt64(0), "tx-bytes": dbus.UInt64(0), "duration": _u(0)},
                signature="sv",
            ),
            "Properties": dbus.Dictionary(
                {"apn": dbus.String(apn), "ip-type": _u(int(props.get("ip-type", 0)))},
                signature="sv",
            ),
        },
        [],
    )
    S["bearers"].append(path)
    _update_modem()
    return dbus.ObjectPath(path)


def simple_disconnect(self, bearer):
    for path in list(S["bearers"]):
        if bearer in ("/", path) and path in mockobject.objects:
            _main().RemoveObject(path)
            S["bearers"].remove(path)
    _update_modem()


def send_pin(self, pin):
    _record(self, "SendPin", "****")
    if not S["locked"] or S["retries"] <= 0:
        raise dbus.exceptions.DBusException(
            "not waiting for a PIN", name="org.freedesktop.ModemManager1.Error.Core.WrongState"
        )
    if str(pin) != S["pin"]:
        S["retries"] -= 1
        _update_modem()
        raise dbus.exceptions.DBusException(
            "Incorrect password",
            name="org.freedesktop.ModemManager1.Error.MobileEquipment.IncorrectPassword",
        )
    S["locked"] = False
    S["retries"] = 3
    _reprobe()  # ModemManager re-probes an unlocked modem too


def _plain(v):
    if isinstance(v, dbus.Boolean):
        return bool(v)
    if isinstance(v, int):
        return int(v)
    return str(v)


def signal_setup(self, rate):
    _record(self, "Setup", int(rate))
    self.UpdateProperties(SIGNAL, {"Rate": _u(rate)})


def messaging_list(self):
    return dbus.Array([dbus.ObjectPath(p) for p in S["sms"]], signature="o")


# -- test controls (org.freedesktop.DBus.Mock on the main object) ------------------------------
@dbus.service.method(MOCK_IFACE, in_signature="a{sv}", out_signature="s")
def AddDualSimModem(self, options):
    S["primary"] = int(options.get("primary", 1))
    S["locked"] = bool(options.get("locked", False))
    S["pin"] = str(options.get("pin", "1234"))
    S["retries"] = int(options.get("retries", 3))
    S["registration"] = int(options.get("registration", 1))
    S["operator_code"] = str(options.get("operator_code", "23415"))
    S["operator_name"] = str(options.get("operator_name", "Simtel UK"))
    S["empty"] = {int(options["empty_slot"])} if "empty_slot" in options else set()
    return _add_modem()


@dbus.service.method(MOCK_IFACE, in_signature="s", out_signature="s")
def CallLog(self, method):
    """JSON list of [object path, arguments] of each call of ``method`` so far."""
    return json.dumps([[path, args] for path, name, args in S["log"] if name == method])


@dbus.service.method(MOCK_IFACE, in_signature="", out_signature="s")
def CurrentModem(self):
    return S["path"] or "/"


@dbus.service.method(MOCK_IFACE, in_signature="", out_signature="")
def Unplug(self):
    _remove_modem()


@dbus.service.method(MOCK_IFACE, in_signature="", out_signature="s")
def Replug(self):
    S["bearers"] = []
    return _add_modem()


@dbus.service.method(MOCK_IFACE, in_signature="uss", out_signature="")
def SetRegistration(self, registration, operator_code, operator_name):
    S["registration"] = int(registration)
    S["operator_code"] = str(operator_code)
    S["operator_name"] = str(operator_name)
    modem = _modem()
    if modem is not None:
        modem.UpdateProperties(
            MODEM_3GPP,
            {
                "RegistrationState": _u(registration),
                "OperatorCode": dbus.String(operator_code),
                "OperatorName": dbus.String(operator_name),
            },
        )


@dbus.service.method(MOCK_IFACE, in_signature="ussss", out_signature="")
def SwapSim(self, slot, iccid, imsi, operator_code, operator_name):
    sim = S["sims"][int(slot) - 1]
    sim.update(
        SimIdentifier=str(iccid),
        Imsi=str(imsi),
        OperatorIdentifier=str(operator_code),
        OperatorName=str(operator_name),
    )
    S["bearers"] = []
    _reprobe()


@dbus.service.method(MOCK_IFACE, in_signature="sss", out_signature="s")
def AddSms(self, number, text, timestamp):
    S["sms_index"] += 1
    path = f"{ROOT}/SMS/{S['sms_index']}"
    self.AddObject(
        path,
        SMS,
        {
            "State": _u(3),
            "Number": dbus.String(number),
            "Text": dbus.String(text),
            "Timestamp": dbus.String(timestamp),
        },
        [],
    )
    S["sms"].append(path)
    modem = _modem()
    if modem is not None:
        modem.EmitSignal(MESSAGING, "Added", "ob", [dbus.ObjectPath(path), dbus.Boolean(True)])
    return path


@dbus.service.method(MOCK_IFACE, in_signature="tt", out_signature="")
def SetBearerStats(self, rx, tx):
    for path in S["bearers"]:
        if path in mockobject.objects:
            mockobject.objects[path].UpdateProperties(
                BEARER,
                {
                    "Stats": dbus.Dictionary(
                        {
                            "rx-bytes": dbus.UInt64(rx),
                            "tx-bytes": dbus.UInt64(tx),
                            "duration": _u(60),
                        },
                        signature="sv",
                    )
                },
            )
