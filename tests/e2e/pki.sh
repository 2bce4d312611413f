# pki.sh: certificate authorities, certificates and CRLs for the TLS
# end-to-end tests, made with openssl(1) (EC P-256 keys, SHA-256).
#
# Source it after e2e_init (it needs $T):
#
#	. "$TOP_SRCDIR/tests/e2e/pki.sh"
#
# Files go to $PKI (default $T/pki). Each CA keeps an `openssl ca`
# database, so that its certificates can be revoked and CRLs issued.
#
#   pki_ca CA SUBJECT		self-signed CA: $PKI/CA.pem, $PKI/CA.key
#   pki_issue CA NAME SUBJECT [-s START] [-e END] [-a SAN] [-- REQ-ARGS...]
#				$PKI/NAME.pem (certificate), $PKI/NAME.key
#				signed by CA, the subject kept as written
#				(-preserveDN). START/END: YYYYMMDDhhmmssZ
#				(default: yesterday, +30 days); SAN: e.g.
#				"DNS:a.test,IP:127.0.0.1" (default none).
#				REQ-ARGS go to `openssl req` (e.g. -utf8).
#				$PKI/NAME.full is the certificate and key in
#				one file.
#   pki_revoke CA NAME		mark NAME (issued by CA) revoked
#   pki_crl CA FILE		write CA's current CRL to FILE
#   pki_serial NAME		print NAME's serial number (hex)
#   pki_client_set CA OTHER_CA	the client certificates of the client
#				certificate tests, all but "wrong" from CA:
#				valid (every DN field Octavia's headers show,
#				UTCTime dates), gentime (valid until 2051,
#				GeneralizedTime), odd (control bytes, quotes,
#				'%', two CNs, a multi-valued RDN), utf8,
#				expired, revoked (in $PKI/crl.pem, CA's CRL),
#				wrong (from OTHER_CA)

pki_ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
PKI=${PKI:-$T/pki}
mkdir -p "$PKI"

pki_ca() {
	local ca=$1 subj=$2 d=$PKI/$1.db

	mkdir -p "$d"
	: >"$d/index"
	echo 01 >"$d/serial"
	echo 01 >"$d/crlnumber"
	cat >"$PKI/$ca.cnf" <<EOF
[ca]
default_ca = c
[c]
dir = $d
database = $d/index
serial = $d/serial
crlnumber = $d/crlnumber
new_certs_dir = $d
certificate = $PKI/$ca.pem
private_key = $PKI/$ca.key
default_md = sha256
default_crl_days = 30
policy = p
unique_subject = no
[p]
commonName = supplied
EOF
	openssl req -x509 "${pki_ec[@]}" -keyout "$PKI/$ca.key" -out "$PKI/$ca.pem" \
	    -days 30 -subj "$subj" >"$PKI/$ca.log" 2>&1 ||
	    fail "pki_ca $ca: $(cat "$PKI/$ca.log")"
}

pki_issue() {
	local ca=$1 name=$2 subj=$3 start end san=""

	shift 3
	start=$(date -u -d yesterday +%Y%m%d%H%M%SZ)
	end=$(date -u -d '+30 days' +%Y%m%d%H%M%SZ)
	while [ $# -gt 0 ]; do
		case $1 in
		-s) start=$2; shift 2 ;;
		-e) end=$2; shift 2 ;;
		-a) san=$2; shift 2 ;;
		--) shift; break ;;
		*) fail "pki_issue: unknown option $1" ;;
		esac
	done
	{
		echo "[ext]"
		echo "basicConstraints = CA:FALSE"
		[ -z "$san" ] || echo "subjectAltName = $san"
	} >"$PKI/$name.ext"
	openssl req -new "${pki_ec[@]}" -keyout "$PKI/$name.key" -out "$PKI/$name.csr" \
	    -subj "$subj" "$@" >"$PKI/$name.log" 2>&1 ||
	    fail "pki_issue $name (req): $(cat "$PKI/$name.log")"
	openssl ca -batch -config "$PKI/$ca.cnf" -extfile "$PKI/$name.ext" -extensions ext \
	    -preserveDN -notext -in "$PKI/$name.csr" -out "$PKI/$name.pem" \
	    -startdate "$start" -enddate "$end" >>"$PKI/$name.log" 2>&1 ||
	    fail "pki_issue $name (ca): $(cat "$PKI/$name.log")"
	cat "$PKI/$name.pem" "$PKI/$name.key" >"$PKI/$name.full"
}

pki_revoke() {
	openssl ca -config "$PKI/$1.cnf" -revoke "$PKI/$2.pem" >>"$PKI/$2.log" 2>&1 ||
	    fail "pki_revoke $2: $(tail -n 3 "$PKI/$2.log")"
}

pki_crl() {
	openssl ca -config "$PKI/$1.cnf" -gencrl -out "$2.tmp" >>"$PKI/$1.log" 2>&1 ||
	    fail "pki_crl $1: $(tail -n 3 "$PKI/$1.log")"
	mv "$2.tmp" "$2"
}

pki_serial() {
	openssl x509 -in "$PKI/$1.pem" -noout -serial | sed 's/^serial=//'
}

pki_client_set() {
	local ca=$1 y24=20240101000000Z y49=20491231235959Z

	pki_issue "$ca" valid "/C=US/ST=CA/O=Example, Inc./OU=Eng/CN=client one/emailAddress=a@b.c" \
	    -s "$y24" -e "$y49"
	pki_issue "$ca" gentime "/CN=gentime" -s "$y24" -e 20510101000000Z
	pki_issue "$ca" odd "/CN=a\"b%c"$'\t'"d"$'\x01'"e"$'\x7f'"f/CN=second/OU=x+O=y" \
	    -s "$y24" -e "$y49"
	pki_issue "$ca" utf8 "/CN=caf"$'\xc3\xa9'"/O=Z"$'\xc3\xbc'"rich" -s "$y24" -e "$y49" -- -utf8
	pki_issue "$ca" expired "/CN=expired" -s 20200101000000Z -e 20210101000000Z
	pki_issue "$ca" revoked "/CN=revoked" -s "$y24" -e "$y49"
	pki_revoke "$ca" revoked
	pki_crl "$ca" "$PKI/crl.pem"
	pki_issue "$2" wrong "/CN=wrong"
}
