# Frankfurt offers wan2.6-t2v only.
#! SB320 3:8
region frankfurt
model wan2.5-t2v-preview
size 1280*720
clip a 5s
  A lantern drifts over a night market.
