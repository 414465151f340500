"""python-dbusmock template: tests/dbus/mm_template.py's dual-slot modem, plus a second modem.

``AddSecondModem(a{sv})`` (on org.freedesktop.DBus.Mock, main object) adds a single-slot modem of
its own identity (DeviceIdentifier, IMEI, a SIM with its ICCID and operator), registered, with
Simple.Connect making a bearer on its own interface (``wwan1``). Everything else is the dual-slot
template's (load it as usual: ``AddDualSimModem`` first).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from dbusmock import MOCK_IFACE, OBJECT_MANAGER_IFACE, mockobject

import dbus

_spec = importlib.util.spec_from_file_location(
    "simspot_mm_template", Path(__file__).resolve().parents[1] / "dbus" / "mm_template.py"
)
assert _spec is not None and _spec.loader is not None
one = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(one)

BUS_NAME = one.BUS_NAME
MAIN_OBJ = one.MAIN_OBJ
MAIN_IFACE = one.MAIN_IFACE
SYSTEM_BUS = True
IS_OBJECT_MANAGER = False
load = one.load
for _name in dir(one):
    if getattr(getattr(one, _name), "_dbus_is_method", False):
        globals()[_name] = getattr(one, _name)

ROOT = one.ROOT
SECOND = f"{ROOT}/Modems/900"
SECOND_SIM = f"{ROOT}/SIM/900"
SECOND_BEARER = f"{ROOT}/Bearer/900"


def _u(v):
    return dbus.UInt32(v)


def _second_connect(self, props):
    main = mockobject.objects[MAIN_OBJ]
    if SECOND_BEARER not in mockobject.objects:
        main.AddObject(
            SECOND_BEARER,
            one.BEARER,
            {
                "Interface": dbus.String("wwan1"),
                "Connected": dbus.Boolean(True),
                "Ip4Config": dbus.Dictionary(
                    {
                        "method": _u(3),
                        "address": dbus.String("10.65.0.7"),
                        "prefix": _u(30),
                        "gateway": dbus.String("10.65.0.5"),
                    },
                    signature="sv",
                ),
                "Properties": dbus.Dictionary(
                    {"apn": dbus.String(str(props.get("apn", ""))), "ip-type": _u(1)},
                    signature="sv",
                ),
            },
            [],
        )
    modem = mockobject.objects[SECOND]
    modem.UpdateProperties(
        one.MODEM,
        {"Bearers": dbus.Array([dbus.ObjectPath(SECOND_BEARER)], signature="o"),
         "State": dbus.Int32(one.STATE_CONNECTED)},
    )  # fmt: skip
    return dbus.ObjectPath(SECOND_BEARER)


@dbus.service.method(MOCK_IFACE, in_signature="a{sv}", out_signature="s")
def AddSecondModem(self, options):
    o = {str(k): str(v) for k, v in options.items()}
    iccid = o.get("iccid", "8934071100000000051")
    code = o.get("operator_code", "26201")
    name = o.get("operator_name", "Telekom.de")
    self.AddObject(
        SECOND_SIM,
        one.SIM,
        {
            "Active": dbus.Boolean(True),
            "SimIdentifier": dbus.String(iccid),
            "Imsi": dbus.String(code + "0000000051"),
            "OperatorIdentifier": dbus.String(code),
            "OperatorName": dbus.String(name),
            "Eid": dbus.String(""),
            "SimType": _u(1),
        },
        [],
    )
    props = {
        "Manufacturer": dbus.String("Sierra Wireless"),
        "Model": dbus.String("EM7455"),
        "DeviceIdentifier": dbus.String(o.get("device", "fedcba9876543210")),
        "EquipmentIdentifier": dbus.String("359072060000051"),
        "State": dbus.Int32(one.STATE_REGISTERED),
        "UnlockRequired": _u(one.LOCK_NONE),
        "UnlockRetries": dbus.Dictionary({}, signature="uu"),
        "AccessTechnologies": _u(one.ACCESS_LTE),
        "SignalQuality": dbus.Struct((_u(55), dbus.Boolean(True)), signature="ub"),
        "Sim": dbus.ObjectPath(SECOND_SIM),
        "SimSlots": dbus.Array([], signature="o"),
        "PrimarySimSlot": _u(0),
        "Bearers": dbus.Array([], signature="o"),
    }
    self.AddObject(SECOND, one.MODEM, props, [])
    modem = mockobject.objects[SECOND]
    modem.AddProperties(
        one.MODEM_3GPP,
        {
            "Imei": dbus.String("359072060000051"),
            "RegistrationState": _u(1),
            "OperatorCode": dbus.String(code),
            "OperatorName": dbus.String(name),
        },
    )
    modem.AddMethods(one.SIMPLE, [("Connect", "a{sv}", "o", _second_connect)])
    self.EmitSignal(
        OBJECT_MANAGER_IFACE, "InterfacesAdded", "oa{sa{sv}}",
        [dbus.ObjectPath(SECOND), modem.props],
    )  # fmt: skip
    return SECOND
