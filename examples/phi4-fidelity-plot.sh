#!/bin/sh
# The drift-fidelity study's figure: one line per row and law of
# examples/phi4-fidelity.sh's rows.tsv, the z of <|M|>, <M^2>, U4 and e as
# four markers on a common axis, the band |z| < 3 shaded, KS p at the right
# (red below 0.01). Values beyond the axis (|z| > 8) are drawn as arrows at
# its end and their numbers listed beside it.
#
#   examples/phi4-fidelity-plot.sh ROWS.tsv OUT.svg [ROW[@LAW][:LABEL]...]
#
# Without ROW arguments every row of the file is drawn, in file order;
# otherwise the rows named, in that order (ROW@LAW: that law's line only,
# LAW prior, h or A). A LABEL replaces the row's name on the figure. The SVG is written to a
# temporary name and renamed.
set -eu
case ${1:-} in -h | --help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac
ROWS=${1:?usage: phi4-fidelity-plot.sh ROWS.tsv OUT.svg [ROW[@LAW][:LABEL]...]}
OUT=${2:?usage: phi4-fidelity-plot.sh ROWS.tsv OUT.svg [ROW[@LAW][:LABEL]...]}
shift 2
[ -r "$ROWS" ] || { echo "phi4-fidelity-plot: cannot read '$ROWS'" >&2; exit 2; }
case $OUT in *.svg) ;; *) echo "phi4-fidelity-plot: '$OUT' must end in .svg" >&2; exit 2 ;; esac
[ "$ROWS" != "$OUT" ] || { echo "phi4-fidelity-plot: the output would overwrite the input" >&2; exit 2; }
tmp=$OUT.tmp-$$
trap 'rm -f "$tmp"' EXIT
sel=$(printf '%s\n' "$@")
awk -F'\t' -v sel="$sel" '
function x(z) { if (z < -ZM) z = -ZM; if (z > ZM) z = ZM; return X0 + (z + ZM) / (2 * ZM) * W }
function esc(s) { gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); return s }
BEGIN {
    ZM = 8; X0 = 250; W = 520; TOP = 60; DY = 22; OX = 790; KX = 1040; FW = 1090
    n = split(sel, s, "\n")
    for (i = 1; i <= n; i++) {
        k = index(s[i], ":")
        name = k ? substr(s[i], 1, k - 1) : s[i]
        order[name] = i; label[name] = k ? substr(s[i], k + 1) : name
    }
    col[3] = "#1f77b4"; col[4] = "#ff7f0e"; col[5] = "#2ca02c"; col[6] = "#d62728"
    mk[3] = "circle"; mk[4] = "square"; mk[5] = "diamond"; mk[6] = "triangle"
    nm[3] = "z &lt;|M|&gt;"; nm[4] = "z &lt;M²&gt;"; nm[5] = "z U4"; nm[6] = "z e"
}
NF >= 8 && $3 ~ /^-?[0-9.]+$/ {
    id = ($1 "@" $2) in order ? $1 "@" $2 : $1
    if (n && !(id in order)) next
    key = (n ? order[id] : 0) * 100000 + NR; rid[key] = id
    m++; K[m] = key; line[key] = $0
}
END {
    if (m == 0) { print "phi4-fidelity-plot: no rows to draw" > "/dev/stderr"; exit 2 }
    for (i = 2; i <= m; i++) { v = K[i]; for (j = i - 1; j >= 1 && K[j] > v; j--) K[j + 1] = K[j]; K[j + 1] = v }
    H = TOP + m * DY + 60
    printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"DejaVu Sans, sans-serif\" font-size=\"12\">\n", FW, H
    printf "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", FW, H
    printf "<rect x=\"%g\" y=\"%d\" width=\"%g\" height=\"%d\" fill=\"#e8f4e8\"/>\n", x(-3), TOP - 10, x(3) - x(-3), m * DY + 10
    for (z = -ZM; z <= ZM; z += 2) {
        printf "<line x1=\"%g\" y1=\"%d\" x2=\"%g\" y2=\"%d\" stroke=\"%s\"/>\n", x(z), TOP - 10, x(z), TOP + m * DY, (z == 0 ? "#888" : "#ddd")
        printf "<text x=\"%g\" y=\"%d\" text-anchor=\"middle\">%d</text>\n", x(z), TOP + m * DY + 16, z
    }
    printf "<text x=\"%g\" y=\"%d\" text-anchor=\"middle\">z = (generated − MCMC) / standard error (shaded: |z| &lt; 3)</text>\n", x(0), TOP + m * DY + 34
    printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">KS p on M</text>\n", KX, TOP - 18
    printf "<text x=\"%d\" y=\"%d\">off the axis</text>\n", OX, TOP - 18
    for (c = 3; c <= 6; c++) {
        lx = X0 + (c - 3) * 130
        marker(c, lx, 20); printf "<text x=\"%d\" y=\"24\">%s</text>\n", lx + 10, nm[c]
    }
    for (i = 1; i <= m; i++) {
        split(line[K[i]], f, "\t")
        y = TOP + (i - 1) * DY + 6
        if (i % 2) printf "<rect x=\"0\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#000\" fill-opacity=\"0.03\"/>\n", y - 11, FW, DY
        lab = (rid[K[i]] in label) ? label[rid[K[i]]] : f[1]
        printf "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s · %s</text>\n", X0 - 10, y + 4, esc(lab), f[2] == "h" ? "h = 0.05" : f[2] == "A" ? "A = −0.5" : f[2]
        off = 0
        for (c = 3; c <= 6; c++) {
            z = f[c] + 0
            if (z > ZM || z < -ZM) {
                xe = x(z); d = z > 0 ? 1 : -1
                printf "<path d=\"M%g %g l%g -5 v10 z\" fill=\"%s\"/>\n", xe + 8 * d, y, -8 * d, col[c]
                printf "<text x=\"%d\" y=\"%g\" fill=\"%s\">%.1f</text>\n", OX + off * 48, y + 4, col[c], z
                off++
            } else marker(c, x(z), y)
        }
        p = f[7] + 0
        printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"%s\">%s</text>\n", KX, y + 4, (p < 0.01 ? "#d62728" : "#333"), f[7]
    }
    print "</svg>"
}
function marker(c, cx, cy) {
    if (mk[c] == "circle") printf "<circle cx=\"%g\" cy=\"%g\" r=\"4.5\" fill=\"%s\" fill-opacity=\"0.85\"/>\n", cx, cy, col[c]
    else if (mk[c] == "square") printf "<rect x=\"%g\" y=\"%g\" width=\"8\" height=\"8\" fill=\"%s\" fill-opacity=\"0.85\"/>\n", cx - 4, cy - 4, col[c]
    else if (mk[c] == "diamond") printf "<path d=\"M%g %g l5 5 l-5 5 l-5 -5 z\" fill=\"%s\" fill-opacity=\"0.85\"/>\n", cx, cy - 5, col[c]
    else printf "<path d=\"M%g %g l5 9 h-10 z\" fill=\"%s\" fill-opacity=\"0.85\"/>\n", cx, cy - 5, col[c]
}' "$ROWS" >"$tmp"
mv "$tmp" "$OUT"
trap - EXIT
