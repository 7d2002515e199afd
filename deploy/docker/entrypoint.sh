#!/bin/sh
# Runs the image's service: dotnet /app/PrivateSigstore.$PSIG_SERVICE.dll with the container's arguments
# (so `docker run … ca ceremony …` reaches Fulcio's CA commands and `… admin users list` Identity's admin commands).
set -eu
exec dotnet "/app/PrivateSigstore.${PSIG_SERVICE:?PSIG_SERVICE is not set}.dll" "$@"
