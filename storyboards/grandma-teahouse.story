# 繁體中文:所有格(@貓的尾巴)、助詞(@阿婆說)、對白與旁白;每個名字在一個片段裡只介紹一次。
storyboard "阿婆的午後"
model wan2.7-t2v
resolution 720P
ratio 16:9
language zh
prompt-extend off
watermark off
seed 20261202

cast 阿婆: 一位滿頭銀髮的老婦人,穿著深藍色碎花旗袍,戴著一副圓框眼鏡
cast 貓: 一隻胖胖的橘貓,脖子上戴著鈴鐺
cast narrator "孫女": 一位溫柔的年輕女聲
place 茶館: 一間老舊的街角茶館,木桌上擺著蓋碗,午後陽光斜照進來

clip afternoon 10s
  shot 4s 大遠景
    @茶館 裡很安靜,@阿婆 坐在窗邊的木椅上。
    @貓的尾巴輕輕擺動,鈴鐺叮噹作響。
  shot 3s 近景
    @阿婆 端起茶杯,吹了吹熱氣。
    say 阿婆: 慢慢喝,別燙著。
  shot 3s 特寫
    @貓 抬頭望向@阿婆的眼鏡。
    voiceover narrator: 那年夏天,阿婆的茶總是剛剛好。
    ambience: 窗外的蟬鳴

clip dusk 5s
  @阿婆說晚飯要煮魚,@貓 跳下窗台跟在她腳邊。
  camera: 緩慢跟拍
  sfx: 鈴鐺聲

clip night 5s
  @貓 蜷在竹椅上睡著了。
  say 阿婆: 早點睡吧。
