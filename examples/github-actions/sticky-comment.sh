#!/usr/bin/env bash
# sticky-comment.sh BODY_FILE: posts BODY_FILE as the pull request's
# mynthform comment, or edits the one posted before, so that a pull
# request has one comment that each run updates in place. The comment is
# found by its first line (the report's "**mynthform" verdict or
# comparison line) among the comments of github-actions[bot].
#
# Needs gh, GH_TOKEN, GITHUB_REPOSITORY (owner/name) and PR (the number)
# in the environment. It prints no token: gh reads GH_TOKEN itself, and
# the answers of the API are not printed.
set -euo pipefail
body=${1:?usage: sticky-comment.sh BODY_FILE}
if [ ! -s "$body" ]; then
  echo "No comment to post: $body is empty."
  exit 0
fi
repo=${GITHUB_REPOSITORY:?GITHUB_REPOSITORY is not set}
pr=${PR:?PR is not set}
author=${COMMENT_AUTHOR:-github-actions[bot]}

filter='[.[] | select(.user.login == "'"$author"'" and (.body | test("^(✅ |❌ )?\\*\\*mynthform")))] | last | .id // empty'
id=$(gh api "repos/$repo/issues/$pr/comments" --paginate --jq "$filter" | tail -n 1)
case "$id" in
  "" | *[!0-9]*)
    [ -z "$id" ] || { echo "Unexpected comment id from the API; not editing it." >&2; exit 1; }
    gh api -X POST "repos/$repo/issues/$pr/comments" -F "body=@$body" >/dev/null
    echo "Posted the mynthform comment on pull request #$pr."
    ;;
  *)
    gh api -X PATCH "repos/$repo/issues/comments/$id" -F "body=@$body" >/dev/null
    echo "Updated the mynthform comment $id on pull request #$pr."
    ;;
esac
