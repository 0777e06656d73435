# The newest wan2.7 snapshot is listed for Beijing only.
#! SB320 4:8
model wan2.7-t2v-2026-06-12
region singapore
resolution 720P
clip a 5s
  A lantern drifts over a night market.
