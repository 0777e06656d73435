#! SB213 3:13
clip a 5s
  watermark maybe
  model trains circle the track at dusk
