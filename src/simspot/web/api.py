"""Routes the web UI needs beyond the capabilities' own: the message catalogue and QR scanning.

GET  /api/v1/messages    the sentence catalogue (English and Chinese) and event severities; public,
                         so the login page can use it too (it holds no data, only sentences)
POST /api/v1/esim/scan   an activation code from a picture of its QR code (needs login): the
                         browser sends a grey PGM it drew from the photo or screenshot (any format
                         the browser can open, scaled down), or a PNG; zxing-cpp reads it here
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import struct

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from simspot.apimodels import ERROR_RESPONSES, Out
from simspot.esim.activation import read_qr_bytes
from simspot.esim.errors import ActivationCodeError
from simspot.i18n import CatalogueOut, Message, MessageOut, catalogue

# 6 MB of image as base64: a 2000 x 2000 grey picture, more than a QR code needs to be read.
MAX_IMAGE_B64 = 8_000_000


class ScanRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    image: str = Field(
        min_length=1,
        max_length=MAX_IMAGE_B64,
        description="the picture, base64: binary PGM (P5) or PNG",
    )


class ScanResult(Out):
    activation_code: str  # holds the matching ID (a secret): shown only to the logged-in admin
    smdp_address: str
    confirmation_code_required: bool
    message: MessageOut


def public_router() -> APIRouter:
    r = APIRouter(prefix="/api/v1", tags=["web"])

    @r.get("/messages")
    async def messages() -> CatalogueOut:
        return catalogue()

    return r


def _refused(msg: Message) -> JSONResponse:
    return JSONResponse(
        {"detail": f"image: {msg.text()}", "field": "image", "message": msg.as_json()},
        status_code=422,
    )


def router() -> APIRouter:
    r = APIRouter(prefix="/api/v1", tags=["esim"], responses=ERROR_RESPONSES)

    @r.post("/esim/scan", response_model=ScanResult)
    async def scan(body: ScanRequest) -> ScanResult | JSONResponse:
        try:
            data = base64.b64decode(body.image, validate=True)
        except (binascii.Error, ValueError):
            return _refused(Message("esim.scan.bad-image", {"problem": "not base64"}))
        try:
            code = await asyncio.to_thread(read_qr_bytes, data)
        except ActivationCodeError as exc:
            text = str(exc)
            if text.startswith("no QR code"):
                return _refused(Message("esim.scan.no-qr"))
            if text.startswith("the QR code does not hold"):
                return _refused(Message("esim.scan.not-activation"))
            return _refused(Message("esim.scan.bad-image", {"problem": text}))
        except (ValueError, TypeError, struct.error, MemoryError):  # malformed: a decoder tripped
            return _refused(Message("esim.scan.bad-image", {"problem": "malformed image"}))
        msg_id = "esim.scan.needs-code" if code.confirmation_code_required else "esim.scan.found"
        msg = Message(msg_id, {"smdp_address": code.smdp_address})
        return ScanResult(
            activation_code=code.qr_text,
            smdp_address=code.smdp_address,
            confirmation_code_required=code.confirmation_code_required,
            message=MessageOut(**msg.as_json()),
        )

    return r
