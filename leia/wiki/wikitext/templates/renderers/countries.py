"""Country names for ``{{flag}}``, ``{{flagcountry}}`` and the country-code templates (``{{JPN}}``): one row
per country keyed by its ISO 3166-1 alpha-3 code, with the name jawiki shows (the title of its jawiki
article), the name enwiki shows (the title of its enwiki article) and the other names the wikis' country
data templates answer to (alpha-2 and IOC/FIFA codes, common and former names in both languages)."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Country", "COUNTRIES", "country"]


class Country(NamedTuple):
    code: str
    ja: str
    en: str


# code | jawiki name | enwiki name | other names (";"-separated)
_TABLE = """
AFG|アフガニスタン|Afghanistan|AF;アフガニスタン・イスラム共和国
ALB|アルバニア|Albania|AL
DZA|アルジェリア|Algeria|DZ;ALG
AND|アンドラ|Andorra|AD
AGO|アンゴラ|Angola|AO;ANG
ATG|アンティグア・バーブーダ|Antigua and Barbuda|AG;ANT
ARG|アルゼンチン|Argentina|AR
ARM|アルメニア|Armenia|AM
AUS|オーストラリア|Australia|AU;豪州
AUT|オーストリア|Austria|AT
AZE|アゼルバイジャン|Azerbaijan|AZ
BHS|バハマ|Bahamas|BS;BAH;The Bahamas
BHR|バーレーン|Bahrain|BH;BRN
BGD|バングラデシュ|Bangladesh|BD;BAN
BRB|バルバドス|Barbados|BB;BAR
BLR|ベラルーシ|Belarus|BY
BEL|ベルギー|Belgium|BE
BLZ|ベリーズ|Belize|BZ;BIZ
BEN|ベナン|Benin|BJ
BTN|ブータン|Bhutan|BT;BHU
BOL|ボリビア|Bolivia|BO
BIH|ボスニア・ヘルツェゴビナ|Bosnia and Herzegovina|BA
BWA|ボツワナ|Botswana|BW;BOT
BRA|ブラジル|Brazil|BR
BRN|ブルネイ|Brunei|BN;BRU
BGR|ブルガリア|Bulgaria|BG;BUL
BFA|ブルキナファソ|Burkina Faso|BF;BUR
BDI|ブルンジ|Burundi|BI
CPV|カーボベルデ|Cape Verde|CV;CAB-V
KHM|カンボジア|Cambodia|KH;CAM
CMR|カメルーン|Cameroon|CM
CAN|カナダ|Canada|CA
CAF|中央アフリカ共和国|Central African Republic|CF
TCD|チャド|Chad|TD;CHA
CHL|チリ|Chile|CL;CHI
CHN|中華人民共和国|China|CN;中国;People's Republic of China
COL|コロンビア|Colombia|CO
COM|コモロ|Comoros|KM
COG|コンゴ共和国|Republic of the Congo|CG;CGO
COD|コンゴ民主共和国|Democratic Republic of the Congo|CD;DR Congo
CRI|コスタリカ|Costa Rica|CR;CRC
CIV|コートジボワール|Ivory Coast|CI;Côte d'Ivoire
HRV|クロアチア|Croatia|HR;CRO
CUB|キューバ|Cuba|CU
CYP|キプロス|Cyprus|CY
CZE|チェコ|Czech Republic|CZ;Czechia
DNK|デンマーク|Denmark|DK;DEN
DJI|ジブチ|Djibouti|DJ
DMA|ドミニカ国|Dominica|DM
DOM|ドミニカ共和国|Dominican Republic|DO
ECU|エクアドル|Ecuador|EC
EGY|エジプト|Egypt|EG
SLV|エルサルバドル|El Salvador|SV;ESA
GNQ|赤道ギニア|Equatorial Guinea|GQ;GEQ
ERI|エリトリア|Eritrea|ER
EST|エストニア|Estonia|EE
SWZ|エスワティニ|Eswatini|SZ;Swaziland;スワジランド
ETH|エチオピア|Ethiopia|ET
FJI|フィジー|Fiji|FJ;FIJ
FIN|フィンランド|Finland|FI
FRA|フランス|France|FR
GAB|ガボン|Gabon|GA
GMB|ガンビア|Gambia|GM;GAM;The Gambia
GEO|ジョージア (国)|Georgia (country)|GE;グルジア;Georgia
DEU|ドイツ|Germany|DE;GER
GHA|ガーナ|Ghana|GH
GRC|ギリシャ|Greece|GR;GRE
GRD|グレナダ|Grenada|GD;GRN
GTM|グアテマラ|Guatemala|GT;GUA
GIN|ギニア|Guinea|GN;GUI
GNB|ギニアビサウ|Guinea-Bissau|GW;GBS
GUY|ガイアナ|Guyana|GY
HTI|ハイチ|Haiti|HT;HAI
HND|ホンジュラス|Honduras|HN;HON
HUN|ハンガリー|Hungary|HU
ISL|アイスランド|Iceland|IS
IND|インド|India|IN
IDN|インドネシア|Indonesia|ID;INA
IRN|イラン|Iran|IR;IRI
IRQ|イラク|Iraq|IQ
IRL|アイルランド|Ireland|IE
ISR|イスラエル|Israel|IL
ITA|イタリア|Italy|IT
JAM|ジャマイカ|Jamaica|JM
JPN|日本|Japan|JP;日本国
JOR|ヨルダン|Jordan|JO
KAZ|カザフスタン|Kazakhstan|KZ
KEN|ケニア|Kenya|KE
KIR|キリバス|Kiribati|KI
PRK|朝鮮民主主義人民共和国|North Korea|KP;北朝鮮
KOR|大韓民国|South Korea|KR;韓国
KWT|クウェート|Kuwait|KW;KUW
KGZ|キルギス|Kyrgyzstan|KG
LAO|ラオス|Laos|LA
LVA|ラトビア|Latvia|LV;LAT
LBN|レバノン|Lebanon|LB;LIB
LSO|レソト|Lesotho|LS;LES
LBR|リベリア|Liberia|LR
LBY|リビア|Libya|LY
LIE|リヒテンシュタイン|Liechtenstein|LI
LTU|リトアニア|Lithuania|LT
LUX|ルクセンブルク|Luxembourg|LU
MDG|マダガスカル|Madagascar|MG;MAD
MWI|マラウイ|Malawi|MW;MAW
MYS|マレーシア|Malaysia|MY;MAS
MDV|モルディブ|Maldives|MV
MLI|マリ共和国|Mali|ML
MLT|マルタ|Malta|MT
MHL|マーシャル諸島|Marshall Islands|MH
MRT|モーリタニア|Mauritania|MR;MTN
MUS|モーリシャス|Mauritius|MU;MRI
MEX|メキシコ|Mexico|MX
FSM|ミクロネシア連邦|Federated States of Micronesia|FM;Micronesia
MDA|モルドバ|Moldova|MD
MCO|モナコ|Monaco|MC;MON
MNG|モンゴル国|Mongolia|MN;モンゴル
MNE|モンテネグロ|Montenegro|ME
MAR|モロッコ|Morocco|MA
MOZ|モザンビーク|Mozambique|MZ
MMR|ミャンマー|Myanmar|MM;ビルマ;Burma
NAM|ナミビア|Namibia|NA
NRU|ナウル|Nauru|NR
NPL|ネパール|Nepal|NP;NEP
NLD|オランダ|Netherlands|NL;NED
NZL|ニュージーランド|New Zealand|NZ
NIC|ニカラグア|Nicaragua|NI;NCA
NER|ニジェール|Niger|NE;NIG
NGA|ナイジェリア|Nigeria|NG
MKD|北マケドニア|North Macedonia|MK;マケドニア共和国;Macedonia
NOR|ノルウェー|Norway|NO
OMN|オマーン|Oman|OM
PAK|パキスタン|Pakistan|PK
PLW|パラオ|Palau|PW;PLW
PSE|パレスチナ国|State of Palestine|PS;PLE;パレスチナ;Palestine
PAN|パナマ|Panama|PA
PNG|パプアニューギニア|Papua New Guinea|PG
PRY|パラグアイ|Paraguay|PY;PAR
PER|ペルー|Peru|PE
PHL|フィリピン|Philippines|PH;PHI
POL|ポーランド|Poland|PL
PRT|ポルトガル|Portugal|PT;POR
QAT|カタール|Qatar|QA
ROU|ルーマニア|Romania|RO
RUS|ロシア|Russia|RU;ロシア連邦
RWA|ルワンダ|Rwanda|RW
KNA|セントクリストファー・ネイビス|Saint Kitts and Nevis|KN;SKN
LCA|セントルシア|Saint Lucia|LC
VCT|セントビンセント・グレナディーン|Saint Vincent and the Grenadines|VC;VIN
WSM|サモア|Samoa|WS;SAM
SMR|サンマリノ|San Marino|SM
STP|サントメ・プリンシペ|São Tomé and Príncipe|ST
SAU|サウジアラビア|Saudi Arabia|SA;KSA
SEN|セネガル|Senegal|SN
SRB|セルビア|Serbia|RS
SYC|セーシェル|Seychelles|SC;SEY
SLE|シエラレオネ|Sierra Leone|SL
SGP|シンガポール|Singapore|SG;SIN
SVK|スロバキア|Slovakia|SK
SVN|スロベニア|Slovenia|SI;SLO
SLB|ソロモン諸島|Solomon Islands|SB;SOL
SOM|ソマリア|Somalia|SO
ZAF|南アフリカ共和国|South Africa|ZA;RSA;南アフリカ
SSD|南スーダン|South Sudan|SS
ESP|スペイン|Spain|ES
LKA|スリランカ|Sri Lanka|LK;SRI
SDN|スーダン|Sudan|SD;SUD
SUR|スリナム|Suriname|SR
SWE|スウェーデン|Sweden|SE
CHE|スイス|Switzerland|CH;SUI
SYR|シリア|Syria|SY
TWN|中華民国|Taiwan|TW;台湾;Republic of China
TJK|タジキスタン|Tajikistan|TJ
TZA|タンザニア|Tanzania|TZ;TAN
THA|タイ王国|Thailand|TH;タイ
TLS|東ティモール|East Timor|TL;Timor-Leste
TGO|トーゴ|Togo|TG;TOG
TON|トンガ|Tonga|TO;TGA
TTO|トリニダード・トバゴ|Trinidad and Tobago|TT;TRI
TUN|チュニジア|Tunisia|TN
TUR|トルコ|Turkey|TR;Türkiye
TKM|トルクメニスタン|Turkmenistan|TM
TUV|ツバル|Tuvalu|TV
UGA|ウガンダ|Uganda|UG
UKR|ウクライナ|Ukraine|UA
ARE|アラブ首長国連邦|United Arab Emirates|AE;UAE
GBR|イギリス|United Kingdom|GB;UK;英国
USA|アメリカ合衆国|United States|US;アメリカ;米国;United States of America
URY|ウルグアイ|Uruguay|UY;URU
UZB|ウズベキスタン|Uzbekistan|UZ
VUT|バヌアツ|Vanuatu|VU;VAN
VAT|バチカン|Vatican City|VA;Holy See
VEN|ベネズエラ|Venezuela|VE
VNM|ベトナム|Vietnam|VN;VIE
YEM|イエメン|Yemen|YE
ZMB|ザンビア|Zambia|ZM;ZAM
ZWE|ジンバブエ|Zimbabwe|ZW;ZIM
XKX|コソボ|Kosovo|XK;KOS
HKG|香港|Hong Kong|HK
MAC|マカオ|Macau|MO
PRI|プエルトリコ|Puerto Rico|PR;PUR
GRL|グリーンランド|Greenland|GL
ENG|イングランド|England|
SCO|スコットランド|Scotland|
WAL|ウェールズ|Wales|
NIR|北アイルランド|Northern Ireland|
SUN|ソビエト連邦|Soviet Union|URS;ソ連;USSR
FRG|西ドイツ|West Germany|
GDR|東ドイツ|East Germany|DDR
TCH|チェコスロバキア|Czechoslovakia|CSK
YUG|ユーゴスラビア|Yugoslavia|
EU|欧州連合|European Union|EUR
"""


def _build() -> tuple[dict[str, Country], dict[str, Country]]:
    by_name: dict[str, Country] = {}
    codes: dict[str, Country] = {}
    for line in _TABLE.strip().split("\n"):
        code, ja, en, others = line.split("|")
        entry = Country(code, ja, en)
        codes[code] = entry
        for name in (code, ja, en, *filter(None, others.split(";"))):
            by_name.setdefault(name, entry)
            by_name.setdefault(name.casefold(), entry)
    for entry in codes.values():
        by_name[entry.code] = entry
    return by_name, codes


_BY_NAME, COUNTRIES = _build()


def country(name: str) -> Country | None:
    """The country a flag template's argument names: a code (``JPN``, ``JP``, IOC ``GER``) or a name in
    Japanese or English (``日本``, ``Japan``), case aside; None for a name not in the table."""
    name = " ".join(name.replace("_", " ").split())
    return _BY_NAME.get(name) or _BY_NAME.get(name.casefold())
