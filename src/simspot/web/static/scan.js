// eSIM from a picture: a photo from the phone's camera or a screenshot, drawn into a canvas here
// (so any format the browser opens works), scaled down and sent as a grey PGM; the daemon reads
// the QR code (zxing-cpp) and answers the activation code. When the code says the operator asks
// for a confirmation code, the form asks for it.

import { api } from "./api.js";
import { $ } from "./dom.js";
import { message, t } from "./i18n.js";

const MAX_SIDE = 1200;  // pixels: plenty for a QR code, and a small upload

function base64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

async function toPgm(file) {
  const bmp = await createImageBitmap(file);
  const scale = Math.min(1, MAX_SIDE / Math.max(bmp.width, bmp.height));
  const w = Math.max(1, Math.round(bmp.width * scale)), h = Math.max(1, Math.round(bmp.height * scale));
  const canvas = document.createElement("canvas");
  canvas.width = w; canvas.height = h;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.fillStyle = "#fff";  // a transparent screenshot reads as black on white
  ctx.fillRect(0, 0, w, h);
  ctx.drawImage(bmp, 0, 0, w, h);
  bmp.close();
  const px = ctx.getImageData(0, 0, w, h).data;
  const header = new TextEncoder().encode(`P5\n${w} ${h}\n255\n`);
  const out = new Uint8Array(header.length + w * h);
  out.set(header);
  for (let i = 0, j = header.length; i < px.length; i += 4, j++) out[j] = (px[i] * 3 + px[i + 1] * 6 + px[i + 2]) / 10;
  return base64(out);
}

export function askForConfirmationCode() {
  $("cc").required = true;
  $("cc-label").classList.add("needed");
  $("cc-needed").textContent = t("cc_needed", "This operator asks for a confirmation code: enter it.");
  $("cc").focus();
}

async function scan(file) {
  $("download-error").textContent = "";
  $("download-result").textContent = "";
  $("scan-result").textContent = "";
  $("download-progress").textContent = t("reading_picture", "Reading the picture…");
  try {
    let image;
    try {
      image = await toPgm(file);
    } catch (exc) {
      throw new Error(message({ id: "esim.scan.bad-image", params: { problem: file.type || file.name }, text: "The picture could not be read." }));
    }
    const res = await api("POST", "/esim/scan", { image });
    $("ac").value = res.activation_code;
    $("scan-result").textContent = message(res.message);
    if (res.confirmation_code_required) askForConfirmationCode();
  } catch (exc) {
    $("download-error").textContent = exc.message;
  } finally {
    $("download-progress").textContent = "";
  }
}

export function wireScan() {
  for (const id of ["qr-camera", "qr-file"]) {
    $(id).addEventListener("change", (ev) => {
      const file = ev.target.files && ev.target.files[0];
      if (file) scan(file).finally(() => { ev.target.value = ""; });
    });
  }
}
