#!/bin/sh
# Every user-visible string in the sources listed in po/POTFILES.in must have
# a Simplified Chinese translation that is neither missing nor fuzzy.
set -eu
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$src"
xgettext --from-code=UTF-8 --add-comments --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
  --keyword=g_dngettext:2,3 --keyword=ngettext:1,2 --keyword=Q_:1g \
  --files-from=po/POTFILES.in -o "$tmp/all.pot"
msgmerge -q --no-fuzzy-matching po/zh_CN.po "$tmp/all.pot" -o "$tmp/merged.po"
msgfmt -c -o /dev/null po/zh_CN.po
untranslated=$(msgattrib --untranslated --no-obsolete "$tmp/merged.po" | grep -c '^msgid ' || true)
fuzzy=$(msgattrib --only-fuzzy --no-obsolete "$tmp/merged.po" | grep -c '^msgid ' || true)
# msgattrib prints the header entry as one msgid when there is anything at all
[ "$untranslated" -gt 0 ] && untranslated=$((untranslated - 1))
[ "$fuzzy" -gt 0 ] && fuzzy=$((fuzzy - 1))
if [ "$untranslated" -ne 0 ] || [ "$fuzzy" -ne 0 ]; then
  echo "po/zh_CN.po: $untranslated untranslated and $fuzzy fuzzy messages:"
  msgattrib --untranslated --no-obsolete "$tmp/merged.po" | grep '^msgid ' | tail -n +2
  exit 1
fi
echo "po/zh_CN.po: every message translated"
