model wan2.1-t2v-plus
region singapore
size 1280*720
clip a 5s
  A lantern drifts over a night market.
