// @vitest-environment node
// Reading aids on sentences whose readings are known, many of them words read by their context
// (今日 きょう, 月曜日 げつ but 月 つき; 银行 háng but 行不行 xíng; 같이 gachi, 신라 silla).
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { annotate, okurigana, type Segment, setDictionaryPath, untensed } from "../../src/lib/readingAids";

setDictionaryPath(fileURLToPath(new URL("../../node_modules/@sglkc/kuromoji/dict/", import.meta.url)));

const pairs = (segments: Segment[]) => segments.filter((s) => s.reading).map((s) => [s.text, s.reading]);

// Each sentence with the readings of its kanji (the kana of a word's ending are not read).
const JAPANESE: [string, [string, string][]][] = [
  [
    "今日は雨です。",
    [
      ["今日", "きょう"],
      ["雨", "あめ"],
    ],
  ],
  [
    "明日、銀行に行きます。",
    [
      ["明日", "あした"],
      ["銀行", "ぎんこう"],
      ["行", "い"],
    ],
  ],
  [
    "大人になったら上手になりたい。",
    [
      ["大人", "おとな"],
      ["上手", "じょうず"],
    ],
  ],
  [
    "一人で来ました。",
    [
      ["一人", "ひとり"],
      ["来", "き"],
    ],
  ],
  [
    "二人分お願いします。",
    [
      ["二人", "ふたり"],
      ["分", "ぶん"],
      ["願", "ねが"],
    ],
  ],
  [
    "月曜日に会いましょう。",
    [
      ["月曜日", "げつようび"],
      ["会", "あ"],
    ],
  ],
  ["月がきれいですね。", [["月", "つき"]]],
  [
    "日曜日は休みです。",
    [
      ["日曜日", "にちようび"],
      ["休", "やす"],
    ],
  ],
  ["学生ですか？", [["学生", "がくせい"]]],
  [
    "生ビールを一つください。",
    [
      ["生", "なま"],
      ["一", "ひと"],
    ],
  ],
  [
    "東京駅で待ちます。",
    [
      ["東京", "とうきょう"],
      ["駅", "えき"],
      ["待", "ま"],
    ],
  ],
  [
    "何時に始まりますか？",
    [
      ["何", "なん"],
      ["時", "じ"],
      ["始", "はじ"],
    ],
  ],
  [
    "何人ですか？",
    [
      ["何", "なん"],
      ["人", "にん"],
    ],
  ],
  [
    "水を一杯ください。",
    [
      ["水", "みず"],
      ["一杯", "いっぱい"],
    ],
  ],
  ["お手洗いはどこですか？", [["手洗", "てあら"]]],
  [
    "この本は面白いです。",
    [
      ["本", "ほん"],
      ["面白", "おもしろ"],
    ],
  ],
  [
    "昨日、友達と映画を見ました。",
    [
      ["昨日", "きのう"],
      ["友達", "ともだち"],
      ["映画", "えいが"],
      ["見", "み"],
    ],
  ],
  [
    "私は日本語を勉強しています。",
    [
      ["私", "わたし"],
      ["日本語", "にほんご"],
      ["勉強", "べんきょう"],
    ],
  ],
  [
    "日本に行きたいです。",
    [
      ["日本", "にほん"],
      ["行", "い"],
    ],
  ],
  [
    "電車が遅れています。",
    [
      ["電車", "でんしゃ"],
      ["遅", "おく"],
    ],
  ],
  [
    "右に曲がってください。",
    [
      ["右", "みぎ"],
      ["曲", "ま"],
    ],
  ],
  [
    "お茶を飲みませんか？",
    [
      ["茶", "ちゃ"],
      ["飲", "の"],
    ],
  ],
  [
    "窓側の席をお願いします。",
    [
      ["窓側", "まどがわ"],
      ["席", "せき"],
      ["願", "ねが"],
    ],
  ],
  [
    "部屋の鍵をなくしました。",
    [
      ["部屋", "へや"],
      ["鍵", "かぎ"],
    ],
  ],
  [
    "頭が痛いです。",
    [
      ["頭", "あたま"],
      ["痛", "いた"],
    ],
  ],
  [
    "薬を一日三回飲んでください。",
    [
      ["薬", "くすり"],
      ["一", "いち"],
      ["日", "にち"],
      ["三", "さん"],
      ["回", "かい"],
      ["飲", "の"],
    ],
  ],
  [
    "切符はどこで買えますか？",
    [
      ["切符", "きっぷ"],
      ["買", "か"],
    ],
  ],
  [
    "店内でお召し上がりですか？",
    [
      ["店内", "てんない"],
      ["召", "め"],
      ["上", "あ"],
    ],
  ],
  [
    "少々お待ちください。",
    [
      ["少々", "しょうしょう"],
      ["待", "ま"],
    ],
  ],
  ["全部でいくらですか？", [["全部", "ぜんぶ"]]],
  [
    "先生に聞いてください。",
    [
      ["先生", "せんせい"],
      ["聞", "き"],
    ],
  ],
  ["下手ですが、がんばります。", [["下手", "へた"]]],
  [
    "荷物を預けてもいいですか？",
    [
      ["荷物", "にもつ"],
      ["預", "あず"],
    ],
  ],
  [
    "傘を預かってもらえますか？",
    [
      ["傘", "かさ"],
      ["預", "あず"],
    ],
  ],
  ["天気がいいですね。", [["天気", "てんき"]]],
  ["風邪をひきました。", [["風邪", "かぜ"]]],
];

// Each sentence with the pinyin of its hanzi, polyphones read by their words.
const CHINESE: [string, string][] = [
  ["我在银行工作。", "wǒ zài yín háng gōng zuò"],
  ["他走路很快，行不行？", "tā zǒu lù hěn kuài xíng bù xíng"],
  ["我长大了，头发很长。", "wǒ zhǎng dà le tóu fa hěn cháng"],
  ["音乐让我快乐。", "yīn yuè ràng wǒ kuài lè"],
  ["请问多少钱？", "qǐng wèn duō shǎo qián"],
  ["我要一杯拿铁。", "wǒ yào yì bēi ná tiě"],
  ["这家店的咖啡很好喝。", "zhè jiā diàn de kā fēi hěn hǎo hē"],
  ["他喜欢唱歌。", "tā xǐ huan chàng gē"],
  ["你觉得怎么样？", "nǐ jué de zěn me yàng"],
  ["我睡觉了。", "wǒ shuì jiào le"],
  ["还有别的吗？", "hái yǒu bié de ma"],
  ["我还没吃饭。", "wǒ hái méi chī fàn"],
  ["我们一起去吧。", "wǒ men yì qǐ qù ba"],
  ["这个字怎么读？", "zhè ge zì zěn me dú"],
  ["请给我发票。", "qǐng gěi wǒ fā piào"],
  ["你会说中文吗？", "nǐ huì shuō zhōng wén ma"],
  ["重新开始吧。", "chóng xīn kāi shǐ ba"],
  ["这个很重。", "zhè ge hěn zhòng"],
  ["我得了第一名。", "wǒ dé le dì yī míng"],
  ["他的朋友很多。", "tā de péng yǒu hěn duō"],
  ["请慢慢说。", "qǐng màn màn shuō"],
  ["这是我的护照。", "zhè shì wǒ de hù zhào"],
  ["一共二十八块。", "yí gòng èr shí bā kuài"],
  ["我想要一个大杯的。", "wǒ xiǎng yào yí gè dà bēi de"],
  ["外面下雨了。", "wài miàn xià yǔ le"],
  ["能便宜点吗？", "néng pián yi diǎn ma"],
  ["我很方便。", "wǒ hěn fāng biàn"],
  ["你好吗？", "nǐ hǎo ma"],
  ["我在学校学习。", "wǒ zài xué xiào xué xí"],
  ["今天天气很好。", "jīn tiān tiān qì hěn hǎo"],
  ["我们在门口见面。", "wǒ men zài mén kǒu jiàn miàn"],
];

// Words and sentences with their Revised Romanization, the sound changes written as the rules
// write them (and tensing not written).
const KOREAN: [string, string][] = [
  ["안녕하세요", "annyeonghaseyo"],
  ["감사합니다", "gamsahamnida"],
  ["같이 가요", "gachi gayo"],
  ["신라", "silla"],
  ["좋다", "jota"],
  ["먹는다", "meongneunda"],
  ["한국어", "hangugeo"],
  ["라테 한 잔 주세요", "rate han jan juseyo"],
  ["얼마예요", "eolmayeyo"],
  ["포장해 주세요", "pojanghae juseyo"],
  ["어서 오세요", "eoseo oseyo"],
  ["맛있게 드세요", "masitge deuseyo"],
  ["읽다", "ikda"],
  ["밝다", "bakda"],
  ["국물", "gungmul"],
  ["종로", "jongno"],
  ["학여울", "hangnyeoul"],
  ["해돋이", "haedoji"],
  ["놓다", "nota"],
  ["없어요", "eopseoyo"],
  ["값이", "gapsi"],
  ["닭", "dak"],
  ["독립", "dongnip"],
  ["백마", "baengma"],
  ["왕십리", "wangsimni"],
  ["별내", "byeollae"],
  ["잡혀", "japyeo"],
  ["굳이", "guji"],
  ["낳지", "nachi"],
  ["여기 있습니다", "yeogi itseumnida"],
  ["맛있게 드세요!", "masitge deuseyo"],
];

describe("furigana", () => {
  it.each(JAPANESE)("%s", async (sentence, expected) => {
    const segments = await annotate("ja-JP", sentence);
    expect(segments.map((s) => s.text).join("")).toBe(sentence);
    expect(pairs(segments)).toEqual(expected);
  });

  it("writes a word's kana ending plainly", () => {
    expect(okurigana("行き", "いき")).toEqual([{ text: "行", reading: "い" }, { text: "き" }]);
    expect(okurigana("お願い", "おねがい")).toEqual([
      { text: "お" },
      { text: "願", reading: "ねが" },
      { text: "い" },
    ]);
    expect(okurigana("銀行", "ぎんこう")).toEqual([{ text: "銀行", reading: "ぎんこう" }]);
    expect(okurigana("召し上がり", "めしあがり")).toEqual([
      { text: "召", reading: "め" },
      { text: "し" },
      { text: "上", reading: "あ" },
      { text: "がり" },
    ]);
  });
});

describe("pinyin", () => {
  it.each(CHINESE)("%s", async (sentence, expected) => {
    const segments = await annotate("zh-CN", sentence);
    expect(segments.map((s) => s.text).join("")).toBe(sentence);
    expect(
      pairs(segments)
        .map(([, reading]) => reading)
        .join(" "),
    ).toBe(expected);
  });
});

describe("romanization", () => {
  it.each(KOREAN)("%s", async (text, expected) => {
    const segments = await annotate("ko-KR", text);
    expect(segments.map((s) => s.text).join("")).toBe(text);
    expect(
      pairs(segments)
        .map(([, reading]) => reading)
        .join(" "),
    ).toBe(expected);
  });

  it("leaves tensing unwritten only where the library writes it", () => {
    expect(untensed("없어요", "eopsseoyo")).toBe("eopseoyo");
    expect(untensed("있어요", "isseoyo")).toBe("isseoyo");
  });
});

describe("other languages", () => {
  it("have no aids", async () => {
    expect(await annotate("en-US", "Hello")).toEqual([{ text: "Hello" }]);
  });
});
